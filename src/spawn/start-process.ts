// A child process started with posix_spawn (src/kernel/posix-spawn.ts) instead of Node's forking
// child_process.spawn, given the shape the launcher's caller needs: Node streams over socketpairs for the
// descriptors we talk to it on (as libuv makes them), a pidfd that names it, and a reaper that never
// blocks the event loop. Why not child_process: docs/architecture.md "The front door".
import { Socket } from 'node:net';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { T, call } from '../kernel/libc.js';
import { closeFd, makeBlocking, posixSpawn, reapChildIfExited, reapIfExited, signalPidfd, type ChildFd, type WaitStatus } from '../kernel/posix-spawn.js';

/**
 * What the child's descriptor i is: this process's own (inherit), /dev/null (ignore), a stream we read
 * from ('from-child') or write to ('to-child'), or a descriptor of ours passed as it is (a number).
 */
export type ChildIo = 'inherit' | 'ignore' | 'from-child' | 'to-child' | number;

export interface StartSpec {
  path: string;
  args: string[];
  /** The child's descriptors 0, 1, 2, 3 …: it gets no other. */
  io: ChildIo[];
  /** In a session of its own: no terminal signal reaches it except through us. */
  setsid?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface StartedProcess {
  pid: number;
  /** Our end of each 'from-child' / 'to-child' descriptor, by the child's fd number; null for the others. */
  streams: Array<Readable | Writable | null>;
  /** Resolves once the child has ended and was reaped (polls the pidfd: never blocks the event loop). */
  wait(): Promise<WaitStatus>;
  /** Signals this very child (pidfd); a child that already ended is ignored. */
  kill(sig: NodeJS.Signals): void;
  /**
   * Let it run on without us (a detached container's supervisor): our streams close, and a process that
   * lives on (the Engine API server) still reaps it when it ends, as libuv reaps the children of a spawn.
   */
  release(): void;
}

const AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0o2000000;

function socketPair(): [number, number] {
  const fds = Buffer.alloc(8);
  call({ fn: 'socketpair', types: [T.I32, T.I32, T.I32, T.U8Array], args: [AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds], what: 'socketpair' });
  return [fds.readInt32LE(0), fds.readInt32LE(4)];
}

export function startProcess(spec: StartSpec): StartedProcess {
  const ours: Array<number | null> = [];
  const theirs: number[] = [];
  const fds: ChildFd[] = spec.io.map((io, i) => {
    if (io === 'inherit') {
      // libuv's children clear O_NONBLOCK on 0–2 (a shared file description); so do we, before the spawn.
      if (i <= 2) makeBlocking(i);
      return i;
    }
    if (io === 'ignore') return 'null';
    if (typeof io === 'number') return io;
    const [mine, child] = socketPair();
    ours[i] = mine;
    theirs.push(child);
    return child;
  });
  let spawned;
  try {
    spawned = posixSpawn({ path: spec.path, argv: [spec.path, ...spec.args], env: spec.env ?? process.env, fds, setsid: spec.setsid });
  } catch (e) {
    for (const fd of ours) if (fd !== null && fd !== undefined) closeFd(fd);
    throw e;
  } finally {
    for (const fd of theirs) closeFd(fd);
  }
  const { pid, pidfd } = spawned;
  const streams = spec.io.map((io, i) => {
    const fd = ours[i];
    if (fd === null || fd === undefined) return null;
    return io === 'from-child' ? new Socket({ fd, readable: true, writable: false }) : new Socket({ fd, readable: false, writable: true });
  });
  let status: WaitStatus | undefined;
  let pidfdOpen = true;
  const closePidfd = () => {
    if (pidfdOpen) closeFd(pidfd);
    pidfdOpen = false;
  };
  let released = false;
  let waiting: Promise<WaitStatus> | undefined;
  const wait = () => waiting ??= new Promise<WaitStatus>((resolve, reject) => {
    // Callers wait once the child said it is done (its report stream closed), so the first polls
    // usually find it; the delay grows to 50 ms for a child that outlives its streams.
    let delay = 1;
    const poll = () => {
      if (released) return; // handed over: whoever outlives it reaps it (reapLater)
      try {
        status ??= reapIfExited(pidfd);
      } catch (e) {
        closePidfd();
        reject(e);
        return;
      }
      if (status) {
        closePidfd();
        resolve(status);
        return;
      }
      setTimeout(poll, delay);
      delay = Math.min(delay * 2, 50);
    };
    poll();
  });
  return {
    pid,
    streams,
    wait,
    kill(sig) {
      if (!pidfdOpen || status) return;
      try {
        signalPidfd(pidfd, constants.signals[sig]);
      } catch {
        // it has just ended
      }
    },
    release() {
      released = true;
      for (const s of streams) s?.destroy();
      closePidfd();
      if (!status) reapLater(pid);
    },
  };
}

// Released children, reaped by pid once a second on a timer that never keeps the process alive.
const released = new Set<number>();
let reaper: NodeJS.Timeout | undefined;

function reapLater(pid: number): void {
  released.add(pid);
  reaper ??= setInterval(() => {
    for (const p of released) {
      try {
        if (reapChildIfExited(p)) released.delete(p);
      } catch {
        released.delete(p); // ECHILD: nothing left to reap
      }
    }
    if (released.size === 0) {
      clearInterval(reaper);
      reaper = undefined;
    }
  }, 1000).unref();
}
