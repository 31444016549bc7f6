// The on-disk shape of one container: config.json (written at create, changed only by rename) and
// state.json (rewritten on every transition). Field names follow Docker's API so inspect can print
// them as they are and the lead's launcher, the shim and the read-side verbs share one contract.

export interface PortBinding { HostIp: string; HostPort: string }

/** Docker's container.HealthConfig; durations in nanoseconds (0: the default). Test ["NONE"] disables. */
export interface HealthConfig { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number }

/** One --ulimit, as Docker stores it (-1: unlimited). */
export interface Ulimit { Name: string; Soft: number; Hard: number }

/** One --mount (or --tmpfs), as Docker's HostConfig.Mounts keeps it. */
export interface MountEntry {
  Type: 'bind' | 'volume' | 'tmpfs';
  Source: string;
  Target: string;
  ReadOnly: boolean;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** The parts of Config and HostConfig the describing flags of run/create add (all optional in a record). */
export interface RunExtras {
  Domainname?: string; StopSignal?: string; StopTimeout?: number; ExposedPorts?: Record<string, object>; Healthcheck?: HealthConfig;
  Mounts?: MountEntry[]; Tmpfs?: Record<string, string>; ExtraHosts?: string[]; Dns?: string[]; DnsSearch?: string[]; DnsOptions?: string[];
  Ulimits?: Ulimit[]; LogConfig?: { Type: string; Config: Record<string, string> }; GroupAdd?: string[]; OomKillDisable?: boolean; ShmSize?: number;
}

/** Docker's State.Health: the probe's verdict and its last five results. */
export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }>;
}

export interface ContainerConfig {
  Id: string;
  /** Without Docker's leading slash. */
  Name: string;
  /** ISO-8601 with nanoseconds, as Docker prints it. */
  Created: string;
  Path: string;
  Args: string[];
  /** 'sha256:…' digest of the image config. */
  Image: string;
  /** The reference as the user typed it, e.g. 'diamol/ch02-hello-diamol'. */
  ImageRef: string;
  Config: {
    Hostname: string;
    User: string;
    Env: string[];
    Cmd: string[] | null;
    Entrypoint: string[] | null;
    WorkingDir: string;
    Tty: boolean;
    OpenStdin: boolean;
    AttachStdin: boolean;
    AttachStdout: boolean;
    AttachStderr: boolean;
    Labels: Record<string, string>;
    ExposedPorts: Record<string, object>;
    Image: string;
    Domainname?: string;
    StopSignal?: string;
    StopTimeout?: number;
    Healthcheck?: HealthConfig;
  };
  HostConfig: {
    AutoRemove: boolean;
    Binds: string[];
    PortBindings: Record<string, PortBinding[]>;
    NetworkMode: string;
    Memory: number;
    MemorySwap: number;
    NanoCpus: number;
    CpuShares: number;
    PidsLimit: number;
    CpusetCpus: string;
    RestartPolicy: { Name: string; MaximumRetryCount: number };
    Init: boolean;
    /** Docker's security fields; optional: records written before these flags existed lack them. */
    SecurityOpt?: string[] | null;
    CapAdd?: string[] | null;
    CapDrop?: string[] | null;
    Privileged?: boolean;
    ReadonlyRootfs?: boolean;
    Devices?: Array<{ PathOnHost: string; PathInContainer: string; CgroupPermissions: string }>;
    Mounts?: MountEntry[];
    Tmpfs?: Record<string, string>;
    ExtraHosts?: string[];
    Dns?: string[];
    DnsSearch?: string[];
    DnsOptions?: string[];
    Ulimits?: Ulimit[];
    LogConfig?: { Type: string; Config: Record<string, string> };
    GroupAdd?: string[];
    OomKillDisable?: boolean;
    ShmSize?: number;
  };
  Rootfs: { lowerDirs: string[]; upperDir: string; workDir: string };
  /** Network aliases on its user-defined network (Docker keeps them per endpoint). */
  NetworkAliases?: string[];
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Pid: number;
  /** starttime (field 22) of /proc/<pid>/stat when Pid was recorded: tells a reused pid apart. */
  PidStart?: string;
  ShimPid: number;
  ShimPidStart?: string;
  ExitCode: number;
  OOMKilled: boolean;
  Error: string;
  StartedAt: string;
  /** ZERO_TIME when never. */
  FinishedAt: string;
  NetworkSettings: {
    IPAddress: string;
    Gateway: string;
    IPPrefixLen: number;
    MacAddress: string;
    Ports: Record<string, PortBinding[] | null>;
  };
  CgroupPath?: string;
  /** Times the restart policy started it again (Docker's RestartCount). */
  RestartCount?: number;
  /** Stopped or killed by a user: the restart policy leaves it alone until it is started again. */
  ManualStop?: boolean;
  /** Only for a container with a healthcheck. */
  Health?: HealthState;
}

export interface ContainerRecord { config: ContainerConfig; state: ContainerState }

/** Go's zero time.Time, which Docker prints for "never". */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function isZeroTime(t: string | undefined): boolean {
  return !t || t.startsWith('0001-01-01');
}

/** A new container's state: created, never started. */
export function initialState(): ContainerState {
  return {
    Status: 'created',
    Running: false,
    Pid: 0,
    ShimPid: 0,
    ExitCode: 0,
    OOMKilled: false,
    Error: '',
    StartedAt: ZERO_TIME,
    FinishedAt: ZERO_TIME,
    NetworkSettings: { IPAddress: '', Gateway: '', IPPrefixLen: 0, MacAddress: '', Ports: {} },
  };
}

/** States in which a process is supposed to exist (and so must be checked for liveness). */
export function expectsProcess(s: ContainerState): boolean {
  return s.Running || s.Status === 'running' || s.Status === 'paused' || s.Status === 'restarting';
}

/**
 * Now as Docker writes it: RFC 3339 with nine fraction digits. Date has milliseconds only; the
 * sub-millisecond digits come from the monotonic clock so two records made in one millisecond
 * still sort apart.
 */
export function nowIso(): string {
  const ms = new Date();
  const sub = String(Math.floor((performance.now() % 1) * 1e6)).padStart(6, '0');
  return ms.toISOString().replace(/Z$/, `${sub}Z`);
}

/** Milliseconds since the epoch of an RFC 3339 time with any number of fraction digits. */
export function parseIsoMs(t: string): number {
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : ms;
}
