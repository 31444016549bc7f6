// Starting a program without copying this process: glibc's posix_spawn (clone with CLONE_VM|CLONE_VFORK
// and a small stack of its own), called through ffi-rs, plus a pidfd to name and reap the child.
// Node's child_process.spawn forks: libuv 1.46 copies the page tables of the whole ~60 MiB engine first,
// which cost 16–90 ms per launch on the development VM where posix_spawn costs well under 1 ms (measured in
// bench/spawn-cost.ts). The child gets exactly the descriptors listed in `fds` (0, 1, 2, 3 …), every
// signal at its default action and an empty signal mask, as libuv gives its children.
import { call, syscall, SYS, T } from './libc.js';
import { KernelError } from './errno.js';

const O_RDWR = 2;
const O_NONBLOCK = 0o4000;
const F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030;
const POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;
const P_PID = 1, P_PIDFD = 3;
const WEXITED = 4, WNOHANG = 1;
const CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;
// glibc x86_64/aarch64: posix_spawnattr_t is 336 bytes, posix_spawn_file_actions_t 80, sigset_t 128,
// siginfo_t 128. The buffers are larger so that a libc with bigger structs still has room.
const OPAQUE_BYTES = 1024;

/** What the child's descriptor i is: one of this process's fds (dup2'd onto i), or /dev/null. */
export type ChildFd = number | 'null';

export interface SpawnSpec {
  /** Absolute path of the program: no PATH search. */
  path: string;
  argv: string[];
  env: Record<string, string | undefined>;
  /** The child's descriptors 0, 1, 2, 3 …; it gets no other one (closefrom after the list). */
  fds: ChildFd[];
  /** Start the child in a session of its own (setsid), out of this process's terminal and its signals. */
  setsid?: boolean;
}

export interface Spawned { pid: number; /** pins the child: signals and reaping go through it, never the bare pid */ pidfd: number }

export type WaitStatus = { code: number; signal?: undefined } | { code?: undefined; signal: number };

function libc(fn: string, types: Parameters<typeof call>[0]['types'], args: unknown[], what: string): number {
  // The posix_spawn family returns the error number itself (0 on success) and leaves errno alone.
  const r = call({ fn, types, args, what, failed: () => false });
  checked(fn, r, what);
  return r;
}

function checked(fn: string, result: number, what: string): void {
  if (result !== 0) throw new KernelError(fn, result, what);
}

/** The address of a Buffer's bytes (ffi-rs passes U8Array by reference; memset(p, 0, 0) returns p). */
// User-space addresses fit in 47 bits, well inside a double's exact range.
function addressOf(buf: Buffer): number {
  return (call({ fn: 'memset', ret: T.I64, types: [T.U8Array, T.I32, T.I64], args: [buf, 0, 0], failed: () => false }));
}

/** One block holding a NULL-terminated array of pointers and the strings they point at. */
function cStringArray(list: string[]): Buffer {
  const strings = list.map((s) => Buffer.from(s + '\0'));
  const table = 8 * (list.length + 1);
  const block = Buffer.alloc(table + strings.reduce((n, s) => n + s.length, 0));
  const base = addressOf(block);
  let at = table;
  strings.forEach((s, i) => {
    s.copy(block, at);
    block.writeBigUInt64LE(BigInt(base + at), 8 * i);
    at += s.length;
  });
  return block;
}

export function closeFd(fd: number): void {
  call({ fn: 'close', types: [T.I32], args: [fd], what: `close(${fd})`, failed: () => false });
}

/** Clear O_NONBLOCK on a descriptor shared with a child (libuv's children do the same for 0, 1, 2). */
export function makeBlocking(fd: number): void {
  const fl = call({ fn: 'fcntl', types: [T.I32, T.I32], args: [fd, F_GETFL], what: `fcntl(${fd}, F_GETFL)`, failed: () => false });
  if (fl >= 0 && fl & O_NONBLOCK) call({ fn: 'fcntl', types: [T.I32, T.I32, T.I32], args: [fd, F_SETFL, fl & ~O_NONBLOCK], what: `fcntl(${fd}, F_SETFL)`, failed: () => false });
}

/** Starts `spec.path`; throws a KernelError naming the step (ENOENT/EACCES of the exec come back here). */
export function posixSpawn(spec: SpawnSpec): Spawned {
  const actions = Buffer.alloc(OPAQUE_BYTES);
  const attr = Buffer.alloc(OPAQUE_BYTES);
  const sigs = Buffer.alloc(OPAQUE_BYTES);
  const pidOut = Buffer.alloc(8);
  const argv = cStringArray(spec.argv);
  const env = cStringArray(Object.entries(spec.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`));
  // A source fd that is also a target (say the plan's memfd is fd 4 and fd 3's source is fd 5) would be
  // overwritten by an earlier dup2: such sources are first copied above the list.
  const copies: number[] = [];
  const sources = spec.fds.map((fd, i) => {
    if (fd === 'null' || fd === i || fd >= spec.fds.length) return fd;
    const copy = call({ fn: 'fcntl', types: [T.I32, T.I32, T.I32], args: [fd, F_DUPFD_CLOEXEC, spec.fds.length], what: `fcntl(${fd}, F_DUPFD_CLOEXEC)` });
    copies.push(copy);
    return copy;
  });
  libc('posix_spawn_file_actions_init', [T.U8Array], [actions], 'posix_spawn_file_actions_init');
  libc('posix_spawnattr_init', [T.U8Array], [attr], 'posix_spawnattr_init');
  try {
    sources.forEach((fd, i) => {
      if (fd === 'null') libc('posix_spawn_file_actions_addopen', [T.U8Array, T.I32, T.String, T.I32, T.I32], [actions, i, '/dev/null', O_RDWR, 0], `open /dev/null as the child's fd ${i}`);
      // dup2(i, i) clears close-on-exec in glibc ≥ 2.29, so an inherited fd i is passed on either way.
      else libc('posix_spawn_file_actions_adddup2', [T.U8Array, T.I32, T.I32], [actions, fd, i], `dup2 ${fd} onto the child's fd ${i}`);
    });
    libc('posix_spawn_file_actions_addclosefrom_np', [T.U8Array, T.I32], [actions, spec.fds.length], 'closefrom in the child');
    let flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    if (spec.setsid) flags |= POSIX_SPAWN_SETSID;
    libc('posix_spawnattr_setflags', [T.U8Array, T.I16], [attr, flags], 'posix_spawnattr_setflags');
    // Node ignores SIGPIPE and handles others: the child starts with every signal at its default action.
    call({ fn: 'sigfillset', types: [T.U8Array], args: [sigs], what: 'sigfillset' });
    libc('posix_spawnattr_setsigdefault', [T.U8Array, T.U8Array], [attr, sigs], 'posix_spawnattr_setsigdefault');
    call({ fn: 'sigemptyset', types: [T.U8Array], args: [sigs], what: 'sigemptyset' });
    libc('posix_spawnattr_setsigmask', [T.U8Array, T.U8Array], [attr, sigs], 'posix_spawnattr_setsigmask');
    libc('posix_spawn', [T.U8Array, T.String, T.U8Array, T.U8Array, T.I64, T.I64],
      [pidOut, spec.path, actions, attr, addressOf(argv), addressOf(env)], `start ${spec.path}`);
  } finally {
    call({ fn: 'posix_spawn_file_actions_destroy', types: [T.U8Array], args: [actions], failed: () => false });
    call({ fn: 'posix_spawnattr_destroy', types: [T.U8Array], args: [attr], failed: () => false });
    for (const fd of copies) closeFd(fd);
  }
  const pid = pidOut.readInt32LE(0);
  // Not yet reaped, the child cannot have handed its pid to another process: this pidfd is the child.
  const pidfd = syscall(SYS.pidfd_open, [T.I32, T.I32], [pid, 0], `pidfd_open(${pid})`);
  return { pid, pidfd };
}

/** Reaps the child if it has ended (never blocks); undefined while it runs. */
export function reapIfExited(pidfd: number): WaitStatus | undefined {
  return reap(P_PIDFD, pidfd);
}

/** The same by bare pid: safe for our own child only, whose pid nobody else can get until it is reaped. */
export function reapChildIfExited(pid: number): WaitStatus | undefined {
  return reap(P_PID, pid);
}

function reap(idtype: number, id: number): WaitStatus | undefined {
  const info = Buffer.alloc(OPAQUE_BYTES);
  call({ fn: 'waitid', types: [T.I32, T.I32, T.U8Array, T.I32], args: [idtype, id, info, WEXITED | WNOHANG], what: 'waitid' });
  // siginfo_t on 64-bit: si_signo, si_errno, si_code, padding (ints), then si_pid (16), si_uid, si_status (24).
  // si_pid 0: still running.
  if (info.readInt32LE(16) === 0) return undefined;
  const how = info.readInt32LE(8);
  const status = info.readInt32LE(24);
  if (how === CLD_EXITED) return { code: status };
  if (how === CLD_KILLED || how === CLD_DUMPED) return { signal: status };
  return undefined;
}

/** pidfd_send_signal: reaches this very child, never a process that took over its pid. */
export function signalPidfd(pidfd: number, sig: number): void {
  syscall(SYS.pidfd_send_signal, [T.I32, T.I32, T.I64, T.I32], [pidfd, sig, 0, 0], `pidfd_send_signal(${sig})`);
}
