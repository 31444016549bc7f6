// config.json mount options → mount(2) flags + the filesystem's own data string, as runc's
// parseMountOptions does: each known word sets or clears a flag, propagation words are kept apart
// (they need a second mount(2) call), everything else goes to the filesystem as data.

const SET: Record<string, number> = {
  ro: 1, nosuid: 2, nodev: 4, noexec: 8, sync: 16, mand: 64, dirsync: 128, noatime: 1024, nodiratime: 2048,
  relatime: 1 << 21, strictatime: 1 << 24, bind: 4096, rbind: 4096 | 16384,
};
const CLEAR: Record<string, number> = {
  rw: 1, suid: 2, dev: 4, exec: 8, async: 16, nomand: 64, atime: 1024, diratime: 2048, norelatime: 1 << 21,
  nostrictatime: 1 << 24,
};
export const PROPAGATION: Record<string, number> = {
  private: 1 << 18, rprivate: (1 << 18) | 16384, shared: 1 << 20, rshared: (1 << 20) | 16384,
  slave: 1 << 19, rslave: (1 << 19) | 16384, unbindable: 1 << 17, runbindable: (1 << 17) | 16384,
};

export interface ParsedOptions { flags: number; data: string[]; propagation: number[]; bind: boolean; recursive: boolean }

export function parseMountOptions(options: string[] | undefined): ParsedOptions {
  let flags = 0;
  const data: string[] = [];
  const propagation: number[] = [];
  let bind = false;
  let recursive = false;
  for (const o of options ?? []) {
    if (o === 'bind' || o === 'rbind') { bind = true; recursive ||= o === 'rbind'; continue; }
    if (o in SET) flags |= SET[o]!;
    else if (o in CLEAR) flags &= ~CLEAR[o]!;
    else if (o in PROPAGATION) propagation.push(PROPAGATION[o]!);
    else if (o !== 'defaults') data.push(o);
  }
  return { flags: flags >>> 0, data, propagation, bind, recursive };
}
