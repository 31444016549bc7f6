// A container's live output (and input) for a remote client — the Engine API's attach. Without a tty the
// json-file log is followed, so stdout and stderr stay apart (Docker multiplexes them); with a tty the
// supervisor's attach socket carries the raw terminal both ways. Either way the stream can be opened
// before the container starts (`docker run` attaches first, then starts) and ends when its process ends.
import { closeSync, existsSync, openSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { attachSocketPath, containerDir, containerExists, logPath } from '../state/containers.js';
import { refreshState } from '../state/liveness.js';
import { LogFile } from './logs.js';
import { exitMark } from './wait.js';

export type StreamName = 'stdout' | 'stderr';

export interface AttachIo {
  tty: boolean;
  /** What the client types; only a tty container has somewhere to send it. */
  stdin?: Readable;
  output(stream: StreamName, data: Buffer): void;
  /** Also send what the container wrote before the client came (Docker's logs=1). */
  logs?: boolean;
  signal: AbortSignal;
  pollMs?: number;
  /**
   * With a tty: the key sequence that detaches (Docker's detachKeys; the caller passes ctrl-p,ctrl-q
   * when the client named none). The keys are not forwarded; the stream ends and the container runs on.
   */
  detachKeys?: number[];
  /** Called once when the client typed the detach keys. */
  onDetach?: () => void;
}

function pause(ms: number, signal: AbortSignal, wake: { fn?: () => void }): Promise<void> {
  return new Promise((r) => {
    const t = setTimeout(r, ms);
    wake.fn = () => { clearTimeout(t); r(); };
    if (signal.aborted) r();
  });
}

/** Resolves when the container's process has ended (or the client went away). */
export async function attachStreams(id: string, io: AttachIo): Promise<void> {
  return io.tty ? attachTty(id, io) : followLog(id, io);
}

async function followLog(id: string, io: AttachIo): Promise<void> {
  // Created here when the supervisor has not made it yet; it appends to this same file.
  closeSync(openSync(logPath(id), 'a', 0o640));
  const file = new LogFile(logPath(id));
  const wake: { fn?: () => void } = {};
  const onAbort = () => wake.fn?.();
  io.signal.addEventListener('abort', onAbort);
  try {
    const earlier = file.readNew();
    if (io.logs) for (const e of earlier) io.output(e.stream, Buffer.from(e.log));
    const begin = existsSync(containerDir(id)) ? exitMark(id) : '';
    for (;;) {
      if (io.signal.aborted) return;
      // Ended is decided before reading, so the last lines (written before the exit file) are not lost.
      const ended = !containerExists(id) || (() => { const m = exitMark(id); return m !== '' && m !== begin; })();
      for (const e of file.readNew()) io.output(e.stream, Buffer.from(e.log));
      if (ended) return;
      await pause(io.pollMs ?? 50, io.signal, wake);
    }
  } finally {
    io.signal.removeEventListener('abort', onAbort);
    file.close();
  }
}

async function attachTty(id: string, io: AttachIo): Promise<void> {
  const path = attachSocketPath(id);
  const wake: { fn?: () => void } = {};
  // The supervisor makes the socket when the container starts.
  for (;;) {
    if (io.signal.aborted || !containerExists(id)) return;
    if (existsSync(path) && (await refreshState(id)).Running) break;
    await pause(io.pollMs ?? 50, io.signal, wake);
  }
  const sock: Socket = connect(path);
  const ok = await new Promise<boolean>((resolve) => {
    sock.once('connect', () => resolve(true));
    sock.once('error', () => resolve(false));
  });
  if (!ok) return;
  sock.on('data', (d: Buffer) => io.output('stdout', d));
  const toSock = detachWatch(io.detachKeys ?? [], (d) => sock.write(d), () => {
    io.onDetach?.();
    sock.destroy();
  });
  io.stdin?.on('data', toSock);
  const onAbort = () => sock.destroy();
  io.signal.addEventListener('abort', onAbort);
  await new Promise<void>((resolve) => sock.once('close', () => resolve()));
  io.stdin?.off('data', toSock);
  io.signal.removeEventListener('abort', onAbort);
}

/**
 * Input on its way to the container, watched for the detach keys: a byte that may start the sequence is
 * held back until the next says whether it was one (typing goes one key a read, so a sequence spans
 * reads); a held prefix that turns out to be typing is sent after all. On the whole sequence, what came
 * before it in the same read is sent and `detach` is called; nothing after it is.
 */
export function detachWatch(keys: number[], send: (d: Buffer) => void, detach: () => void): (d: Buffer) => void {
  let matched = 0;
  let done = false;
  return (d) => {
    if (done) return;
    if (!keys.length) { send(d); return; }
    const out: number[] = [];
    for (const b of d) {
      if (b !== keys[matched] && matched > 0) {
        out.push(...keys.slice(0, matched));
        matched = 0;
      }
      if (b === keys[matched]) {
        matched++;
        if (matched === keys.length) {
          done = true;
          if (out.length) send(Buffer.from(out));
          detach();
          return;
        }
      } else {
        out.push(b);
      }
    }
    if (out.length) send(Buffer.from(out));
  };
}
