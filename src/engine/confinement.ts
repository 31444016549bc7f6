// One container's confinement as the launch plans need it: the security module's capabilities, seccomp
// and no_new_privs, plus the process cap — pids.max when the container gets a cgroup with the pids
// controller, RLIMIT_NPROC (counted per user in the container's user namespace) when it does not.
import { readFileSync } from 'node:fs';
import type { ContainerConfig } from '../state/container-record.js';
import type { ProcessSecurity } from '../spawn/process-steps.js';
import { detectCgroups } from '../cgroups/index.js';
import { DEFAULT_PIDS_LIMIT, hostDevices, processSecurity } from '../security/index.js';

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
export function containerConfinement(h: ContainerConfig['HostConfig'], hasCgroup?: boolean): Confinement {
  const requested = h.PidsLimit > 0 ? h.PidsLimit : h.PidsLimit < 0 ? undefined : DEFAULT_PIDS_LIMIT;
  const env = detectCgroups();
  const pidsCgroup = (hasCgroup ?? !!env.base) && !!env.base && env.available.includes('pids');
  const security: ProcessSecurity = processSecurity(h);
  if (!pidsCgroup && requested !== undefined) security.nproc = Math.min(requested, nprocHardLimit());
  const privileged = !!h.Privileged;
  const devices = [...(privileged ? hostDevices() : []), ...(h.Devices ?? [])].map((d) => ({ source: d.PathOnHost, target: d.PathInContainer }));
  return {
    security,
    // -1 (unlimited) is written as "max" when a pids cgroup exists; the default cap only where it can apply.
    cgroupPidsLimit: pidsCgroup ? (h.PidsLimit < 0 ? -1 : requested) : undefined,
    privileged, readonlyRootfs: !!h.ReadonlyRootfs, devices,
  };
}
