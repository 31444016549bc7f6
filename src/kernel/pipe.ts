// pipe2(2) through ffi-rs: Node has no API for an anonymous pipe it can write synchronously and hand
// to a child as a plain fd. The launch plan goes through one, filled before spawn, so the launcher
// never waits for Node's event loop to deliver it.
import { call, T } from './libc.js';

const O_CLOEXEC = 0o2000000;

/** [readFd, writeFd], both close-on-exec (spawn's dup2 into the child's fd table clears it there). */
export function pipe(): [number, number] {
  const fds = Buffer.alloc(8);
  call({ fn: 'pipe2', types: [T.U8Array, T.I32], args: [fds, O_CLOEXEC], what: 'pipe2' });
  return [fds.readInt32LE(0), fds.readInt32LE(4)];
}
