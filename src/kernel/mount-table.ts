// The caller's own mount table, read from /proc/self/mountinfo, and lazy unmounts (umount2 with
// MNT_DETACH). skiff-oci needs both for a container without a mount namespace: its mounts are made
// in the caller's namespace beneath the bundle's root and would outlive it (and lead a later
// `rm -rf` of the bundle into /proc, /sys or a bound host directory) unless delete takes them away.
import { readFileSync } from 'node:fs';
import { T, call } from './libc.js';

export interface MountEntry { id: number; mountPoint: string }

const MNT_DETACH = 2;

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mounts at `root` or beneath it, in the order the kernel lists them (parents before children). */
export function mountsBeneath(root: string, text = readFileSync('/proc/self/mountinfo', 'utf8')): MountEntry[] {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const mountPoint = unescape(f[4]!);
    if (mountPoint === root || mountPoint.startsWith(prefix)) out.push({ id: Number(f[0]), mountPoint });
  }
  return out;
}

/** umount2(path, MNT_DETACH): the mount and everything mounted beneath it leave the namespace. */
export function detachMount(path: string): void {
  call({ fn: 'umount2', types: [T.String, T.I32], args: [path, MNT_DETACH], what: `umount2 ${path} MNT_DETACH` });
}
