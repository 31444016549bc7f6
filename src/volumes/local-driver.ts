// The local volume driver's options (`volume create --opt`, `--mount volume-opt=`), as moby's local
// driver reads them — `type`, `device`, `o` — acted on, never only stored: `type=tmpfs` is a tmpfs with
// the `o` options (size, mode, uid, gid, nr_inodes and mount flag words), `o=bind` with `device=/path`
// binds that host path. Anything else the driver would hand to mount(8) (a block device, nfs) is refused
// when the volume is made: a rootless engine cannot mount those, and skiff does not pretend to.
import { isAbsolute } from 'node:path';
import { SkiffError } from '../errors.js';

const LOCAL_VOLUME_OPTS = ['type', 'device', 'o'];

/** How a volume with options reaches a container. */
export type VolumeMount =
  | { kind: 'dir' }
  | { kind: 'tmpfs'; options: string }
  | { kind: 'bind'; device: string; readonly: boolean };

const TMPFS_WORDS = new Set(['ro', 'rw', 'exec', 'noexec', 'suid', 'nosuid', 'dev', 'nodev', 'atime', 'noatime', 'relatime', 'strictatime', 'nodiratime', 'diratime']);
const TMPFS_KEYS = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes']);
const BIND_WORDS = new Set(['bind', 'rbind', 'ro', 'rw']);

function refuse(what: string, hint: string): SkiffError {
  // What moby's local driver refuses, when the volume is made: the daemon's error (`create` exits 1).
  return new SkiffError('EINVALID', what, hint);
}

/** Checks the options (when a volume is made) and says how it will be mounted. */
export function localVolumeMount(opts: Record<string, string> | undefined): VolumeMount {
  if (!opts || !Object.keys(opts).length) return { kind: 'dir' };
  for (const k of Object.keys(opts)) {
    if (!LOCAL_VOLUME_OPTS.includes(k)) throw refuse(`invalid option: "${k}"`, `the local volume driver takes ${LOCAL_VOLUME_OPTS.join(', ')}`);
  }
  const words = (opts.o ?? '').split(',').filter(Boolean);
  if (opts.type === 'tmpfs') {
    for (const w of words) {
      const key = w.split('=')[0]!;
      if (!(TMPFS_WORDS.has(w) || (TMPFS_KEYS.has(key) && w.includes('=')))) {
        throw refuse(`invalid option "${w}" for a tmpfs volume`, 'o= takes size=, mode=, uid=, gid=, nr_inodes= and mount flags (ro, noexec, …)');
      }
    }
    return { kind: 'tmpfs', options: words.join(',') };
  }
  if (words.includes('bind') || words.includes('rbind')) {
    const bad = words.find((w) => !BIND_WORDS.has(w));
    if (bad) throw refuse(`invalid option "${bad}" for a bind volume`, 'o= takes bind (or rbind) and ro');
    if (!opts.device || !isAbsolute(opts.device)) throw refuse('a bind volume needs device=/absolute/host/path', 'e.g. --opt type=none --opt o=bind --opt device=/srv/data');
    return { kind: 'bind', device: opts.device, readonly: words.includes('ro') };
  }
  throw refuse(`the local volume driver here mounts type=tmpfs and o=bind volumes only (got type=${opts.type ?? ''}, o=${opts.o ?? ''})`,
    'a block device or network file system cannot be mounted by skiff; mount it on the host and bind it');
}
