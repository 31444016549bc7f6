// The part of the OCI runtime spec (config.json, runtime-spec v1.x) that skiff-oci reads, and the
// state document it answers `state` with. Field names are the spec's; everything is optional unless
// the spec says REQUIRED, so a config written by containerd, podman or runtime-tools parses as is.

export interface OciHook { path: string; args?: string[]; env?: string[]; timeout?: number }
export interface OciHooks {
  prestart?: OciHook[]; createRuntime?: OciHook[]; createContainer?: OciHook[];
  startContainer?: OciHook[]; poststart?: OciHook[]; poststop?: OciHook[];
}

export interface OciMount { destination: string; type?: string; source?: string; options?: string[] }
export interface OciIdMapping { containerID: number; hostID: number; size: number }
export interface OciNamespace { type: string; path?: string }
export interface OciRlimit { type: string; soft: number; hard: number }
export interface OciCapabilities {
  bounding?: string[]; effective?: string[]; inheritable?: string[]; permitted?: string[]; ambient?: string[];
}
export interface OciUser { uid: number; gid: number; umask?: number; additionalGids?: number[] }

export interface OciProcess {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: OciUser;
  args?: string[];
  env?: string[];
  cwd: string;
  capabilities?: OciCapabilities;
  rlimits?: OciRlimit[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
  apparmorProfile?: string;
  selinuxLabel?: string;
}

export interface OciDevice { type: string; path: string; major?: number; minor?: number; fileMode?: number; uid?: number; gid?: number }

export interface OciLinux {
  namespaces?: OciNamespace[];
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
  devices?: OciDevice[];
  cgroupsPath?: string;
  resources?: Record<string, unknown>;
  rootfsPropagation?: string;
  seccomp?: unknown;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  personality?: unknown;
  intelRdt?: unknown;
}

export interface OciConfig {
  ociVersion: string;
  root?: { path: string; readonly?: boolean };
  mounts?: OciMount[];
  process?: OciProcess;
  hostname?: string;
  domainname?: string;
  hooks?: OciHooks;
  annotations?: Record<string, string>;
  linux?: OciLinux;
}

export type OciStatus = 'creating' | 'created' | 'running' | 'stopped';

/** What `state` prints (runtime-spec "State"). */
export interface OciState {
  ociVersion: string;
  id: string;
  status: OciStatus;
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

export const OCI_VERSION = '1.0.2';
