// The shape every prerequisite check shares. A check reads the machine only through a Probe, so unit
// tests can hand it a fake /proc and a fake PATH; `skiff doctor` hands it the real machine.
import type { EngineMode } from '../state/paths.js';
import type { CgroupCheck } from '../cgroups/doctor.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface StatInfo {
  mode: number;
  uid: number;
  isFile: boolean;
  isDirectory: boolean;
}

/** Everything a check may ask of the machine. Missing files answer undefined, never throw. */
export interface Probe {
  readFile(path: string): string | undefined;
  exists(path: string): boolean;
  stat(path: string): StatInfo | undefined;
  /** Absolute path of a command on PATH (plus the sbin dirs), or undefined. */
  which(cmd: string): string | undefined;
  /** Raw value of an extended attribute (e.g. security.capability), or undefined. */
  getxattr(path: string, name: string): Buffer | undefined;
  kernelRelease(): string;
  nodeVersion(): string;
  /** Host uid skiff acts for, and that user's login name (SUDO_USER when run through sudo). */
  invokingUser(): { uid: number; name: string | undefined; viaSudo: boolean };
  mode(): EngineMode;
  storeDir(): string;
  writable(dir: string): boolean;
  freeBytes(dir: string): number | undefined;
  nativeRuntime(): string;
  /** What src/cgroups can use here (cgroups/doctor.ts checkCgroups on the real machine). */
  cgroupChecks(): CgroupCheck[];
}

export interface Finding {
  status: CheckStatus;
  /** What was found, short: "6.18.44", "hybrid (v1 + empty v2)". */
  detail: string;
  /** What to do about it, when status is not ok. */
  fix?: string;
}

export interface Check {
  id: string;
  title: string;
  /** Modes that cannot work without this; in other modes a failure is only a warning. */
  neededFor: EngineMode[];
  run(probe: Probe): Finding;
}

export interface CheckResult extends Finding {
  id: string;
  title: string;
  neededFor: EngineMode[];
}
