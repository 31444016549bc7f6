// Directory-fd-relative file calls (openat2, mkdirat, symlinkat, readlinkat, fchownat, utimensat,
// unlinkat, linkat, mknodat) and the new mount API (fsopen/fsconfig/fsmount). Node's fs takes paths,
// and a path walked by the host's kernel from the host's root follows a container's symlinks out of
// it; these calls take a directory fd that is already known to be inside the container, so every
// lookup starts — and with RESOLVE_IN_ROOT stays — there (docs/filesystem-verbs.md).
import { T, SYS, call, syscall } from './libc.js';

export const O = {
  RDONLY: 0, WRONLY: 1, CREAT: 0o100, EXCL: 0o200, TRUNC: 0o1000, NONBLOCK: 0o4000,
  DIRECTORY: 0o200000, NOFOLLOW: 0o400000, CLOEXEC: 0o2000000, PATH: 0o10000000,
} as const;
export const RESOLVE = { NO_XDEV: 0x01, NO_MAGICLINKS: 0x02, NO_SYMLINKS: 0x04, BENEATH: 0x08, IN_ROOT: 0x10 } as const;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_REMOVEDIR = 0x200;
const AT_EMPTY_PATH = 0x1000;

/** openat2(2): `path` under `dirFd` with the given flags and RESOLVE_* bits. */
export function openat2(dirFd: number, path: string, flags: number, resolve: number, mode = 0): number {
  const how = Buffer.alloc(24); // struct open_how { u64 flags; u64 mode; u64 resolve; }
  how.writeBigUInt64LE(BigInt(flags | O.CLOEXEC), 0);
  how.writeBigUInt64LE(BigInt(mode), 8);
  how.writeBigUInt64LE(BigInt(resolve), 16);
  return syscall(SYS.openat2, [T.I32, T.String, T.U8Array, T.I64], [dirFd, path === '' ? '.' : path, how, 24], `open ${path}`);
}

/** `path` resolved as if `rootFd` were "/": symlinks and `..` are followed but never leave it. */
export function openInRoot(rootFd: number, path: string, flags: number, mode = 0): number {
  return openat2(rootFd, path, flags, RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS, mode);
}

/** One name in a directory fd, never following a symlink (the name itself included, with O_NOFOLLOW). */
export function openChild(dirFd: number, name: string, flags: number, mode = 0): number {
  return openat2(dirFd, name, flags | O.NOFOLLOW, RESOLVE.BENEATH | RESOLVE.NO_SYMLINKS | RESOLVE.NO_MAGICLINKS, mode);
}

export function mkdirat(dirFd: number, name: string, mode: number): void {
  call({ fn: 'mkdirat', types: [T.I32, T.String, T.I32], args: [dirFd, name, mode], what: `mkdir ${name}` });
}

export function symlinkat(target: string, dirFd: number, name: string): void {
  call({ fn: 'symlinkat', types: [T.String, T.I32, T.String], args: [target, dirFd, name], what: `symlink ${name}` });
}

export function linkat(oldDirFd: number, oldName: string, newDirFd: number, newName: string): void {
  call({ fn: 'linkat', types: [T.I32, T.String, T.I32, T.String, T.I32], args: [oldDirFd, oldName, newDirFd, newName, 0], what: `link ${newName}` });
}

export function mknodat(dirFd: number, name: string, mode: number, dev: number): void {
  call({ fn: 'mknodat', types: [T.I32, T.String, T.I32, T.I64], args: [dirFd, name, mode, dev], what: `mknod ${name}` });
}

/** The target of the symlink an O_PATH|O_NOFOLLOW fd names. */
export function readlinkFd(fd: number): string {
  const buf = Buffer.alloc(4096);
  const n = call({ fn: 'readlinkat', ret: T.I64, types: [T.I32, T.String, T.U8Array, T.I64], args: [fd, '', buf, buf.length], what: 'readlink' });
  return buf.subarray(0, n).toString();
}

/** chown of what an fd names (an O_PATH fd too, symlinks included). */
export function fchownFd(fd: number, uid: number, gid: number): void {
  call({ fn: 'fchownat', types: [T.I32, T.String, T.I32, T.I32, T.I32], args: [fd, '', uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW], what: 'chown' });
}

/** chmod of what an O_PATH fd names (not a symlink): through its /proc/self/fd magic link, which is that inode. */
export function fchmodFd(fd: number, mode: number): void {
  call({ fn: 'chmod', types: [T.String, T.I32], args: [`/proc/self/fd/${fd}`, mode], what: 'chmod' });
}

/** atime and mtime (seconds) of what an fd names, symlinks not followed. */
export function futimesFd(fd: number, mtimeSec: number): void {
  const ts = Buffer.alloc(32);
  for (const off of [0, 16]) {
    ts.writeBigInt64LE(BigInt(Math.floor(mtimeSec)), off);
    ts.writeBigInt64LE(0n, off + 8);
  }
  call({ fn: 'utimensat', types: [T.I32, T.String, T.U8Array, T.I32], args: [fd, '', ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW], what: 'utimensat' });
}

export function unlinkat(dirFd: number, name: string, dir: boolean): void {
  call({ fn: 'unlinkat', types: [T.I32, T.String, T.I32], args: [dirFd, name, dir ? AT_REMOVEDIR : 0], what: `remove ${name}` });
}

const FSCONFIG_SET_FLAG = 0;
const FSCONFIG_SET_STRING = 1;
const FSCONFIG_CMD_CREATE = 6;
const SYS_FS = { fsopen: 430, fsconfig: 431, fsmount: 432 } as const;

/**
 * An overlay mounted nowhere: fsopen/fsconfig/fsmount give a detached mount whose only handle is the
 * returned fd. It is visible in no mount namespace, and the kernel unmounts it when the fd is closed —
 * also when this process dies — so a stopped container's files can be read and written without a
 * mount anyone else sees or one that outlives the command.
 */
export function detachedOverlay(lowerDirs: string[] /* topmost first */, upperDir: string, workDir: string): number {
  const fs = syscall(SYS_FS.fsopen, [T.String, T.I32], ['overlay', 1 /* FSOPEN_CLOEXEC */], 'fsopen overlay');
  try {
    const set = (key: string, value: string) =>
      syscall(SYS_FS.fsconfig, [T.I32, T.I32, T.String, T.String, T.I32], [fs, FSCONFIG_SET_STRING, key, value, 0], `overlay option ${key}=${value}`);
    // One `lowerdir+` per layer: fsconfig takes at most 256 bytes per string, a joined list would not fit.
    for (const l of lowerDirs) set('lowerdir+', l);
    // Without an upper dir the overlay is read-only (and needs no workdir).
    if (upperDir) {
      set('upperdir', upperDir);
      set('workdir', workDir);
    }
    syscall(SYS_FS.fsconfig, [T.I32, T.I32, T.String, T.I64, T.I32], [fs, FSCONFIG_SET_FLAG, 'userxattr', 0, 0], 'overlay option userxattr');
    syscall(SYS_FS.fsconfig, [T.I32, T.I32, T.I64, T.I64, T.I32], [fs, FSCONFIG_CMD_CREATE, 0, 0, 0], 'create the overlay');
    return syscall(SYS_FS.fsmount, [T.I32, T.I32, T.I32], [fs, 1 /* FSMOUNT_CLOEXEC */, 0], 'fsmount overlay');
  } finally {
    call({ fn: 'close', types: [T.I32], args: [fs] });
  }
}
