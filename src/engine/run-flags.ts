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
}
