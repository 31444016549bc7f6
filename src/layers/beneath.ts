// Opening a path strictly inside a directory: openat2(2) with RESOLVE_IN_ROOT, so `..`, absolute
// symlinks and magic links can never lead out of it, whatever the tree holds. Used wherever skiff
// itself (not GNU tar) touches a path inside an unpacked layer.
import { closeSync, constants, openSync } from 'node:fs';
import { SYS, T, call, syscall } from '../kernel/libc.js';
import { trace } from '../trace.js';

const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_NO_SYMLINKS = 0x04;
const RESOLVE_IN_ROOT = 0x10;

/** An O_PATH fd for `rel` under `root`, refusing to follow any symlink on the way. Caller closes it. */
export function openBeneath(rootFd: number, rel: string, extraFlags = 0): number {
  const how = Buffer.alloc(24); // struct open_how { u64 flags; u64 mode; u64 resolve; }
  how.writeBigUInt64LE(BigInt(O_PATH | O_CLOEXEC | constants.O_NOFOLLOW | extraFlags), 0);
  how.writeBigUInt64LE(BigInt(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), 16);
  return syscall(SYS.openat2, [T.I32, T.String, T.U8Array, T.I64], [rootFd, rel === '' ? '.' : rel, how, 24], `openat2 ${rel} beneath the layer root`);
}

/** Set an xattr on the directory `rel` inside `root` without ever following a symlink out. */
export function setXattrBeneath(root: string, rel: string, name: string, value: Buffer): void {
  const rootFd = openSync(root, constants.O_RDONLY | constants.O_DIRECTORY);
  let fd = -1;
  try {
    fd = openBeneath(rootFd, rel, constants.O_DIRECTORY);
    trace.step('fs', `setxattr ${name} on ${root}/${rel}`, 'mark an opaque directory for overlay (userxattr)');
    // An O_PATH fd cannot take fsetxattr; its /proc/self/fd magic link names exactly that inode.
    call({
      fn: 'setxattr',
      types: [T.String, T.String, T.U8Array, T.I64, T.I32],
      args: [`/proc/self/fd/${fd}`, name, value, value.length, 0],
      what: `setxattr ${name} on ${rel || '/'}`,
    });
  } finally {
    if (fd >= 0) closeSync(fd);
    closeSync(rootFd);
  }
}
