// A layer's size as Docker reports it (moby's directory.Size, the overlay2 driver's DiffSize): the
// st_size of everything in the unpacked tree but directories — regular files and symlinks — each
// hard-linked inode counted once. This is the SIZE of `docker images` and `docker history`.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export function diffSize(dir: string): number {
  const seen = new Set<number>();
  let total = 0;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p, { bigint: false });
      if (st.isDirectory()) {
        walk(p);
        continue;
      }
      if (st.size === 0 || seen.has(st.ino)) continue;
      seen.add(st.ino);
      total += st.size;
    }
  };
  walk(dir);
  return total;
}
