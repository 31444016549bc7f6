// The caller's stdin/stdout/stderr, handed from the resident server to a worker: the server received
// them over SCM_RIGHTS and holds them; the worker copies them out of the server (its parent, same
// user and user namespace) with pidfd_getfd and puts them on 0, 1 and 2. Node creates
// process.stdin/stdout/stderr lazily, so as long as nothing touched them yet they come up on the
// caller's terminal, pipe or file with the right kind of stream.
import { call, syscall, SYS, T } from '../kernel/libc.js';

const F_SETFD = 2;
const FD_CLOEXEC = 1;

/** Keep a descriptor out of every process this one starts (containers, supervisors). */
export function closeOnExec(fd: number): void {
  call({ fn: 'fcntl', types: [T.I32, T.I32, T.I32], args: [fd, F_SETFD, FD_CLOEXEC], what: `fcntl(${fd}, FD_CLOEXEC)` });
}

/** Take the server's descriptors `fds` (its numbers) onto this process's 0, 1, 2. */
export function claimCallerStdio(fds: readonly [number, number, number]): void {
  const server = syscall(SYS.pidfd_open, [T.I64, T.I64], [process.ppid, 0], 'pidfd_open(resident server)');
  try {
    fds.forEach((serverFd, target) => {
      const mine = syscall(SYS.pidfd_getfd, [T.I64, T.I64, T.I64], [server, serverFd, 0], `pidfd_getfd(server fd ${serverFd})`);
      call({ fn: 'dup2', types: [T.I32, T.I32], args: [mine, target], what: `dup2(${mine}, ${target})` });
      call({ fn: 'close', types: [T.I32], args: [mine] });
    });
  } finally {
    call({ fn: 'close', types: [T.I32], args: [server] });
  }
}

/** Put /dev/null on 0, 1, 2: the caller's terminal or pipes are no longer held by this process. */
export function releaseCallerStdio(): void {
  const O_RDWR = 2;
  const nul = call({ fn: 'open', types: [T.String, T.I32], args: ['/dev/null', O_RDWR], what: 'open /dev/null' });
  for (const fd of [0, 1, 2]) call({ fn: 'dup2', types: [T.I32, T.I32], args: [nul, fd], what: `dup2(/dev/null, ${fd})` });
  if (nul > 2) call({ fn: 'close', types: [T.I32], args: [nul] });
}

/** Copy the server's descriptors `fds` into this process (new numbers, close-on-exec): skiff-oci's launcher channels. */
export function claimFds(fds: readonly number[]): number[] {
  const server = syscall(SYS.pidfd_open, [T.I64, T.I64], [process.ppid, 0], 'pidfd_open(resident server)');
  try {
    return fds.map((serverFd) => {
      const mine = syscall(SYS.pidfd_getfd, [T.I64, T.I64, T.I64], [server, serverFd, 0], `pidfd_getfd(server fd ${serverFd})`);
      closeOnExec(mine);
      return mine;
    });
  } finally {
    call({ fn: 'close', types: [T.I32], args: [server] });
  }
}
