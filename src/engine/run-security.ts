// How a new container is confined — --privileged, --cap-add/--cap-drop, --device, --security-opt,
// --read-only — from the flags' words to the HostConfig fields its record keeps (RunSecurity). Both front
// doors come through here: `skiff run/create` with the words typed, the Engine API's create with the same
// words built from its HostConfig. One parser, so a value the CLI refuses the API refuses with the same
// sentence, and what is stored (and later applied at start and exec) is the same either way.
import { parseSecurityOpts } from '../security/security-opt.js';
import { effectiveCapabilities, normalizeCapability } from '../security/capabilities.js';
import { parseDevice } from '../security/devices.js';
import { SkiffError } from '../errors.js';
import type { RunFlags } from './run-flags.js';
import type { RunSecurity } from './run.js';

type SecurityFlags = Pick<RunFlags, 'securityOpt' | 'capAdd' | 'capDrop' | 'privileged' | 'readOnly' | 'device'>;

/**
 * `inlineProfiles`: a `seccomp=` value is the profile's JSON (what a daemon receives: the docker CLI reads
 * the file and sends its content), not a path.
 */
export function securityFromFlags(f: SecurityFlags, opts: { inlineProfiles?: boolean } = {}): RunSecurity {
  const security: RunSecurity = {
    SecurityOpt: parseSecurityOpts(f.securityOpt ?? [], opts),
    CapAdd: capabilities(f.capAdd, 'CapAdd'), CapDrop: capabilities(f.capDrop, 'CapDrop'),
    Privileged: !!f.privileged, ReadonlyRootfs: !!f.readOnly, Devices: (f.device ?? []).map(parseDevice),
  };
  // The set must be computable now (an unknown name fails here, before anything exists).
  effectiveCapabilities(security.CapAdd, security.CapDrop, security.Privileged);
  return security;
}

/** Names as moby's validateCapabilities words a bad one: `invalid CapAdd: unknown capability: "CAP_FLY"`. */
function capabilities(names: string[] | undefined, field: 'CapAdd' | 'CapDrop'): string[] {
  return (names ?? []).map((c) => {
    try {
      return normalizeCapability(c);
    } catch (e) {
      if (e instanceof SkiffError) throw new SkiffError(e.code, `invalid ${field}: ${e.message}`, e.hint, { cause: e, exitCode: e.exitCode });
      throw e;
    }
  });
}
