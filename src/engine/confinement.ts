// One container's confinement as the launch plans need it: the security module's capabilities, seccomp
// and no_new_privs, plus the process cap — pids.max when the container gets a cgroup with the pids
// controller, RLIMIT_NPROC (counted per user in the container's user namespace) when it does not.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { storePaths } from '../state/paths.js';
import type { ProcessSecurity } from '../spawn/entry.js';
import { detectCgroups } from '../cgroups/index.js';
import type { Ulimit } from '../state/container-record.js';
import { ULIMIT_RESOURCES } from './run-extras.js';
import { DEFAULT_PIDS_LIMIT, hostDevices, processSecurity, type DeviceMapping, type SecurityHostConfig } from '../security/index.js';

/** The part of Docker's HostConfig that decides confinement (a container record's, or a build step's). */
export type ConfinementConfig = SecurityHostConfig & { PidsLimit: number; ReadonlyRootfs?: boolean; Devices?: DeviceMapping[]; Ulimits?: Ulimit[] };

/** RLIM_INFINITY as the launcher reads it. */
const RLIM_INFINITY = '18446744073709551615';

/** --ulimit as launcher steps (the same for the container's first process and every exec, as runc does). */
export function ulimitSteps(ulimits: Ulimit[] | undefined): Array<[number, string, string]> | undefined {
  if (!ulimits?.length) return undefined;
  const text = (n: number) => (n < 0 ? RLIM_INFINITY : String(n));
  return ulimits.map((u) => [ULIMIT_RESOURCES[u.Name]!, text(u.Soft), text(u.Hard)]);
}

export interface Confinement {
  security: ProcessSecurity;
  /** What to write to pids.max (undefined: no pids cgroup, or nothing to write). */
  cgroupPidsLimit: number | undefined;
  privileged: boolean;
  readonlyRootfs: boolean;
  devices: Array<{ source: string; target: string }>;
}

/** The hard RLIMIT_NPROC skiff itself runs under (an unprivileged process can only lower it). */
function nprocHardLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max processes'));
    const hard = line?.split(/\s{2,}/)[2];
    return hard && /^\d+$/.test(hard) ? Number(hard) : Infinity;
  } catch {
    return Infinity;
  }
}

/**
 * `hasCgroup`: for exec, whether the running container got a cgroup (its limit is already there);
 * for start, undefined: decided from what this machine offers.
 */
export function containerConfinement(h: ConfinementConfig, hasCgroup?: boolean): Confinement {
  const requested = h.PidsLimit > 0 ? h.PidsLimit : h.PidsLimit < 0 ? undefined : DEFAULT_PIDS_LIMIT;
  const env = detectCgroups();
  const pidsCgroup = (hasCgroup ?? !!env.base) && !!env.base && env.available.includes('pids');
  const security: ProcessSecurity = processSecurity(h, join(storePaths().data, 'seccomp'));
  if (!pidsCgroup && requested !== undefined) security.nproc = Math.min(requested, nprocHardLimit());
  const rlimits = ulimitSteps(h.Ulimits);
  if (rlimits) security.rlimits = rlimits;
  const privileged = !!h.Privileged;
  const devices = [...(privileged ? hostDevices() : []), ...(h.Devices ?? [])].map((d) => ({ source: d.PathOnHost, target: d.PathInContainer }));
  return {
    security,
    // -1 (unlimited) is written as "max" when a pids cgroup exists; the default cap only where it can apply.
    cgroupPidsLimit: pidsCgroup ? (h.PidsLimit < 0 ? -1 : requested) : undefined,
    privileged, readonlyRootfs: !!h.ReadonlyRootfs, devices,
  };
}
