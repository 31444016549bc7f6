// `-v SRC:DST[:ro|rw]` read without touching anything: what to mount where. Checked when the flags are
// parsed, so a bad spec fails before an image is pulled or a container exists. A destination of "/"
// (in any spelling: "/.", "//", "/x/..") would put a host directory over the container's root.
import { posix } from 'node:path';
import { SkiffError } from '../errors.js';
import { isVolumeName } from './store.js';

export interface VolumeSpec {
  source: string; named: boolean; target: string; readonly: boolean;
  /** `:nocopy` (named volumes): an empty volume does not take the image's content at the target. */
  nocopy?: boolean;
}

/** The modes -v takes after the second colon, comma-separated as Docker's (one of ro/rw at most). */
const MODES = new Set(['ro', 'rw', 'nocopy']);

function invalid(v: string, why?: string): SkiffError {
  const shown = JSON.stringify(v).slice(1, -1);
  return new SkiffError('EUSAGE', why ? `invalid mount config for '${shown}': ${why}` : `invalid volume specification: '${shown}'`,
    'use -v /host/path:/container/path[:ro] or -v NAME:/container/path');
}

export function parseVolumeSpec(v: string): VolumeSpec {
  const parts = v.split(':');
  const [spec, target, mode] = parts;
  const named = !!spec && isVolumeName(spec);
  if (!spec || !target || parts.length > 3 || !(spec.startsWith('/') || named) || !target.startsWith('/') || /[\0\n]/.test(v)) throw invalid(v);
  const modes = mode === undefined ? [] : mode.split(',');
  if (modes.some((m) => !MODES.has(m)) || (modes.includes('ro') && modes.includes('rw')) || new Set(modes).size !== modes.length || (modes.includes('nocopy') && !named)) {
    throw new SkiffError('EUSAGE', `invalid mode: ${mode}`, 'use :ro or :rw (and :nocopy for a named volume)');
  }
  if (posix.normalize(target) === '/' || posix.normalize(`${target}/`) === '/') {
    // The daemon's check in Docker (so `create` exits 1 for it), in its words.
    const shown = JSON.stringify(v).slice(1, -1);
    throw new SkiffError('EINVALID', `invalid volume specification: '${shown}': invalid mount config for type "${named ? 'volume' : 'bind'}": invalid specification: destination can't be '/'`,
      'mount somewhere under /, e.g. -v /host/path:/data');
  }
  return { source: spec, named, target, readonly: modes.includes('ro'), ...(modes.includes('nocopy') ? { nocopy: true } : {}) };
}
