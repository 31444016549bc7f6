// Reading extended attributes without following symlinks (llistxattr/lgetxattr): the doctor asks
// for security.capability on newuidmap, the image builder copies xattrs and finds overlay's opaque
// marks in an upper dir. Node has no xattr API, so this goes through libc.
import { call, T } from './libc.js';
import { KernelError } from './errno.js';

/** Errors that mean "no such attribute here", not a failure. */
const ABSENT = new Set(['ENODATA', 'ENOTSUP', 'EOPNOTSUPP']);

function sizedRead(fn: 'llistxattr' | 'lgetxattr', path: string, name: string | undefined, what: string): Buffer | undefined {
  const lead = name === undefined ? [path] : [path, name];
  const leadTypes = name === undefined ? [T.String] : [T.String, T.String];
  // Ask for the size first (NULL buffer, declared I64 per the ffi-rs quirk), then read; retry if it grew.
  for (let attempt = 0; attempt < 3; attempt++) {
    let size: number;
    try {
      size = call({ fn, ret: T.I64, types: [...leadTypes, T.I64, T.I64], args: [...lead, 0, 0], what });
    } catch (e) {
      if (e instanceof KernelError && ABSENT.has(e.errnoName)) return undefined;
      throw e;
    }
    if (size === 0) return Buffer.alloc(0);
    const buf = Buffer.alloc(size);
    try {
      const got = call({ fn, ret: T.I64, types: [...leadTypes, T.U8Array, T.I64], args: [...lead, buf, size], what });
      return buf.subarray(0, got);
    } catch (e) {
      if (e instanceof KernelError && ABSENT.has(e.errnoName)) return undefined;
      if (e instanceof KernelError && e.errnoName === 'ERANGE') continue;
      throw e;
    }
  }
  return undefined;
}

/** Names of a path's extended attributes (the link itself for symlinks). */
export function listXattrs(path: string): string[] {
  const raw = sizedRead('llistxattr', path, undefined, `llistxattr ${path}`);
  if (!raw || raw.length === 0) return [];
  return raw.toString('latin1').split('\0').filter(Boolean);
}

/** One attribute's raw bytes, or undefined when the path does not carry it. */
export function getXattr(path: string, name: string): Buffer | undefined {
  return sizedRead('lgetxattr', path, name, `lgetxattr ${path} ${name}`);
}
