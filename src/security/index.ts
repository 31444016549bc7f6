// How a container is confined, from its record's HostConfig to what the launch plan applies: its
// capabilities (Docker's defaults ± --cap-add/--cap-drop, all for --privileged), its seccomp filter
// (Docker's default profile selected for those capabilities, a user profile, or none) and no_new_privs.
// One function for run, exec and build, so every process that enters a container gets the same.
import type { ProcessSecurity } from '../spawn/entry.js';
import { compileSeccomp } from '../spawn/seccomp.js';
import { capabilityNumbers, effectiveCapabilities } from './capabilities.js';
import { defaultSeccomp, hostTarget, selectSeccomp } from './seccomp-profile.js';
import { securityOptions } from './security-opt.js';

export { hostDevices, type DeviceMapping } from './devices.js';

/** The security-relevant part of Docker's HostConfig (optional: records made before these flags lack it). */
export interface SecurityHostConfig {
  SecurityOpt?: string[] | null; CapAdd?: string[] | null; CapDrop?: string[] | null; Privileged?: boolean;
}

/** Podman's default process cap (containers.conf pids_limit) where the user set none. */
export const DEFAULT_PIDS_LIMIT = 2048;

/** `cacheDir`: where compiled filters are kept (the store's seccomp/ directory). */
export function processSecurity(h: SecurityHostConfig, cacheDir: string): Omit<ProcessSecurity, 'nproc'> {
  const privileged = !!h.Privileged;
  const caps = effectiveCapabilities(h.CapAdd ?? [], h.CapDrop ?? [], privileged);
  const opts = securityOptions(h.SecurityOpt);
  const target = hostTarget(caps);
  // --privileged is unconfined, as in Docker (a profile given explicitly still applies).
  const filter = opts.seccomp === 'unconfined' || (privileged && opts.seccomp === 'default')
    ? null
    : opts.seccomp === 'default' ? defaultSeccomp(target) : selectSeccomp(opts.seccomp, target);
  const seccomp = filter ? { filter, program: compileSeccomp(filter, cacheDir) } : null;
  return { caps: capabilityNumbers(caps), seccomp, noNewPrivileges: opts.noNewPrivileges };
}
