// GNU tar as the writer: a child process fed through a pipe we make ourselves.
//
// Why not child.stdin: libuv makes that pipe non-blocking with a 64 KiB buffer, and each full buffer
// costs an event-loop round trip; unpacking measured 2× slower that way. Our own blocking pipe,
// enlarged to 1 MiB, lets the unpack loop hand tar whole megabytes with one writev(2) each while tar
// runs on the other core.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync, writeSync, writev, writevSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { T, call } from '../kernel/libc.js';
import { trace } from '../trace.js';

const O_CLOEXEC = 0o2000000;
const F_SETPIPE_SZ = 1031;

function pipe(): [number, number] {
  const fds = Buffer.alloc(8);
  call({ fn: 'pipe2', types: [T.U8Array, T.I32], args: [fds, O_CLOEXEC], what: 'pipe2 for GNU tar' });
  const r = fds.readInt32LE(0);
  const w = fds.readInt32LE(4);
  try {
    call({ fn: 'fcntl', types: [T.I32, T.I32, T.I32], args: [w, F_SETPIPE_SZ, 1 << 20], what: 'enlarge the pipe to GNU tar' });
  } catch {
    // over /proc/sys/fs/pipe-max-size for this user: the default size still works, only slower
  }
  return [r, w];
}

export interface TarWriter {
  /** Blocking write of everything in bufs; throws (EPIPE) if tar has gone. */
  write(bufs: Buffer[]): void;
  /** The same write done on a libuv pool thread: the caller's thread hashes and gates the next chunk
   *  while this one waits for room in the pipe. One at a time; the buffers must stay untouched until
   *  it settles. Rejects (EPIPE) if tar has gone. */
  writeAsync(bufs: Buffer[]): Promise<void>;
  /** Close our end and wait for tar; returns its exit status and stderr. */
  finish(): Promise<{ code: number | null; stderr: string }>;
  /** Stop tar now; resolves with what it printed. */
  kill(): Promise<string>;
}

const O_TMPFILE = 0o20200000;

/** tar's stderr goes to an anonymous file, not a pipe: while the unpack loop sits in a blocking
 *  write to tar, nothing would drain a stderr pipe, and a chatty tar would deadlock us both. */
function stderrFile(): number {
  return openSync(tmpdir(), O_TMPFILE | 0o2 /* O_RDWR */, 0o600);
}

function readAll(fd: number): string {
  const b = Buffer.alloc(8192);
  const n = readSync(fd, b, 0, b.length, 0);
  return b.toString('utf8', 0, n);
}

export function startTar(args: string[]): TarWriter {
  const [r, w] = pipe();
  const errFd = stderrFile();
  trace.step('helper', `tar ${args.join(' ')}`, 'GNU tar writes the entries the gate accepted');
  let child: ChildProcess;
  try {
    child = spawn('tar', args, { stdio: [r, 'ignore', errFd], env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  } finally {
    closeSync(r);
  }
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    let settled = false;
    const finish = (code: number | null, extra = ''): void => {
      if (settled) return;
      settled = true;
      const stderr = readAll(errFd) + extra;
      closeSync(errFd);
      resolve({ code, stderr });
    };
    child.on('error', (e) => finish(-1, e.message));
    child.on('close', (code) => finish(code));
  });
  let wfd = w;
  let inflight: Promise<void> | undefined;
  const closeW = (): void => {
    if (wfd >= 0) closeSync(wfd);
    wfd = -1;
  };
  /** writev(2) on a pool thread until all of bufs is in the pipe (a blocking pipe writes it all unless a signal cuts it short). */
  const writeAll = async (bufs: Buffer[]): Promise<void> => {
    for (let i = 0; i < bufs.length; i += 1024) {
      let batch = bufs.slice(i, i + 1024); // IOV_MAX
      while (batch.length > 0) {
        let done = await new Promise<number>((resolve, reject) => writev(wfd, batch, (e, n) => (e ? reject(e) : resolve(n))));
        while (batch.length > 0 && done >= batch[0]!.length) done -= batch.shift()!.length;
        if (done > 0) batch[0] = batch[0]!.subarray(done);
      }
    }
  };
  return {
    write(bufs) {
      for (let i = 0; i < bufs.length; i += 1024) {
        const batch = bufs.slice(i, i + 1024); // IOV_MAX
        const total = batch.reduce((n, b) => n + b.length, 0);
        let done = writevSync(wfd, batch);
        if (done === total) continue;
        for (const b of batch) {
          // a short writev (signal): finish buffer by buffer
          if (done >= b.length) {
            done -= b.length;
            continue;
          }
          let off = done;
          done = 0;
          while (off < b.length) off += writeSync(wfd, b, off, b.length - off);
        }
      }
    },
    writeAsync(bufs) {
      const p = writeAll(bufs);
      inflight = p.catch(() => {});
      return p;
    },
    async finish() {
      await inflight;
      closeW();
      return done;
    },
    async kill() {
      child.kill('SIGKILL'); // first: a write blocked on the full pipe then fails with EPIPE
      await inflight; // never close the fd under a pool thread still writing to it
      closeW();
      return (await done).stderr;
    },
  };
}
