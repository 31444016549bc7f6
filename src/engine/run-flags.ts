// The flags of `run` and `create` as the user typed them (strings, before parsing): the engine's input,
// so the CLI that declares them and the engine that interprets them share one type without the engine
// reaching up into the CLI.
export interface RunFlags {
  detach?: boolean; interactive?: boolean; tty?: boolean; rm?: boolean; name?: string;
  publish?: string[]; publishAll?: boolean; volume?: string[]; env?: string[]; envFile?: string[];
  workdir?: string; user?: string; entrypoint?: string; hostname?: string; network?: string;
  memory?: string; memorySwap?: string; cpus?: string; cpuShares?: string; pidsLimit?: string; cpusetCpus?: string;
  init?: boolean; restart?: string; platform?: string; pull?: string; detachKeys?: string;
  securityOpt?: string[]; capAdd?: string[]; capDrop?: string[]; privileged?: boolean; readOnly?: boolean; device?: string[];
  /** -a/--attach STDIN|STDOUT|STDERR (repeatable). */
  attach?: string[];
  /** --sig-proxy[=true|false] */
  sigProxy?: string | boolean;
  /** --mount type=bind|volume|tmpfs,… and --tmpfs PATH[:OPTS] (repeatable). */
  mount?: string[]; tmpfs?: string[];
  /** --add-host NAME:IP, --dns IP, --dns-search DOMAIN, --dns-option OPT (repeatable). */
  addHost?: string[]; dns?: string[]; dnsSearch?: string[]; dnsOption?: string[];
  label?: string[]; labelFile?: string[];
  /** --ulimit NAME=SOFT[:HARD] (repeatable). */
  ulimit?: string[];
  stopSignal?: string; stopTimeout?: string; expose?: string[];
  healthCmd?: string; healthInterval?: string; healthRetries?: string; healthTimeout?: string; healthStartPeriod?: string; healthcheck?: boolean;
  logDriver?: string; logOpt?: string[];
  cidfile?: string; domainname?: string; groupAdd?: string[]; oomKillDisable?: boolean; shmSize?: string;
}
