// A sealed memfd through ffi-rs: an anonymous file of any size that a child reads as a plain fd, and
// that nobody — the child included — can change once sealed. The launch plan goes through one: unlike a
// pipe it never blocks the writer (a pipe holds 64 KiB), and the launcher never waits on Node's event loop.
import { writeSync } from 'node:fs';
import { call, T } from './libc.js';

const MFD_CLOEXEC = 0x0001;
const MFD_ALLOW_SEALING = 0x0002;
const F_ADD_SEALS = 1033;
const F_SEAL_SEAL = 0x1, F_SEAL_SHRINK = 0x2, F_SEAL_GROW = 0x4, F_SEAL_WRITE = 0x8;

/** A close-on-exec memfd holding exactly `data`, sealed against any change; its offset stays at 0. */
export function sealedMemfd(name: string, data: Buffer): number {
  const fd = call({ fn: 'memfd_create', types: [T.String, T.I32], args: [name, MFD_CLOEXEC | MFD_ALLOW_SEALING], what: `memfd_create ${name}` });
  // Positional writes (pwrite): the file offset stays 0, where the reader starts.
  for (let done = 0; done < data.length;) done += writeSync(fd, data, done, data.length - done, done);
  call({ fn: 'fcntl', types: [T.I32, T.I32, T.I32], args: [fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE], what: `seal ${name}` });
  return fd;
}
