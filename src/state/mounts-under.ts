// Before a container directory is deleted, nothing may be mounted inside it: `rm -rf` would walk
// into a still-mounted rootfs or bind mount and delete the image's or the host's files.
import { readFileSync } from 'node:fs';

/** Mount points at or below `dir`, from /proc/self/mountinfo (field 5, octal escapes decoded). */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(prefix));
}
