// `skiff logs`: read the shim's json-file log (`{"log","stream","time"}` per line) and replay it —
// stdout entries to stdout, stderr entries to stderr — with Docker's --tail, -t, --since, --until,
// and -f, which keeps reading until the container is no longer running.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { logPath, readConfig } from '../state/containers.js';
import { watchChanges } from '../state/change-watch.js';
import { refreshState } from '../state/liveness.js';
import { expectsProcess, parseIsoMs } from '../state/container-record.js';
import { parseTimeArg } from '../format/duration.js';
import { SkiffError } from '../errors.js';

export interface LogEntry { log: string; stream: 'stdout' | 'stderr'; time: string }

export interface LogSink { stdout(text: string): void; stderr(text: string): void }

export interface LogsOptions {
  follow?: boolean;
  /** 'all' or a count of lines from the end. */
  tail?: string;
  timestamps?: boolean;
  since?: string;
  until?: string;
  /** How often -f looks for new lines and for the container's end when no file event arrives. */
  pollMs?: number;
  /** Ends -f early (an Engine API client went away). */
  signal?: AbortSignal;
}

/** RFC 3339 with exactly nine fraction digits (Docker's RFC3339NanoFixed). */
export function fixedNano(time: string): string {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(time);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${m[3]}` : time;
}

function timeArg(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const t = parseTimeArg(text);
  if (t === undefined) throw new SkiffError('EUSAGE', `invalid value for "${name}": ${text}`, 'give an RFC 3339 time (2026-11-25T12:00:00Z), Unix seconds, or a duration like 10m');
  return t;
}

function tailCount(tail: string | undefined): number {
  if (tail === undefined || tail === 'all' || tail === '') return -1;
  const n = Number(tail);
  if (!Number.isInteger(n)) throw new SkiffError('EUSAGE', `invalid value for "tail": ${tail}`, 'give a number of lines or "all"');
  return n < 0 ? -1 : n;
}

/** Split complete lines off `buf`; the unfinished rest stays for the next read. */
function takeLines(buf: { text: string }): LogEntry[] {
  const out: LogEntry[] = [];
  let nl: number;
  while ((nl = buf.text.indexOf('\n')) >= 0) {
    const line = buf.text.slice(0, nl);
    buf.text = buf.text.slice(nl + 1);
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as LogEntry;
      if (typeof e.log === 'string') out.push(e);
    } catch {
      // A torn line (the writer died mid-line) is skipped, as Docker's reader does.
    }
  }
  return out;
}

/** The inode at a path, or undefined when nothing is there (between a rotation's rename and its new file). */
function inodeAt(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** Open a path for reading and check it is still the inode we listed (a rotation may have moved it since). */
function openExpecting(path: string, ino: number): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  if (fstatSync(fd).ino === ino) return fd;
  closeSync(fd);
  return undefined;
}

/** Everything in a descriptor from `offset` on. */
function readFrom(fd: number, offset: number): Buffer {
  const chunk = Buffer.alloc(1 << 16);
  const parts: Buffer[] = [];
  let n: number;
  let at = offset;
  while ((n = readSync(fd, chunk, 0, chunk.length, at)) > 0) {
    parts.push(Buffer.from(chunk.subarray(0, n)));
    at += n;
  }
  return Buffer.concat(parts);
}

/** How many rotated files (PATH.1 …) the reader looks for: more than any max-file anyone sets. */
const MAX_ROTATED = 64;

/**
 * A json-file log read incrementally, across --log-opt max-size rotations, as Docker's follower reads it:
 * the descriptor stays on the file it opened (so a removed log can still be drained); when the path names
 * another file, the rotation happened — the old file is drained to its end (the supervisor writes a line
 * before it renames, never after), then the files rotated in between (PATH.k … PATH.1, none of them
 * read yet), then the new live file from its start. No line is read twice, and none is lost unless more
 * rotations than max-file happened between two reads (then those files are gone, as with Docker). With
 * max-file=1 the file is truncated in place: a size below the offset starts it over.
 */
export class LogFile {
  private fd: number | undefined;
  private ino = 0;
  private offset = 0;
  private buf = { text: '' };
  constructor(private readonly path: string) {}

  /** The rotated files PATH.N … PATH.1 that exist, oldest first, with their inodes. */
  private rotated(): Array<{ path: string; ino: number }> {
    const out: Array<{ path: string; ino: number }> = [];
    for (let n = MAX_ROTATED; n >= 1; n--) {
      const ino = inodeAt(`${this.path}.${n}`);
      if (ino !== undefined) out.push({ path: `${this.path}.${n}`, ino });
    }
    return out;
  }

  private openLive(): boolean {
    try {
      this.fd = openSync(this.path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    this.ino = fstatSync(this.fd).ino;
    this.offset = 0;
    this.buf.text = '';
    return true;
  }

  private drain(): LogEntry[] {
    if (this.fd === undefined) return [];
    // Truncated in place (max-file=1): what is there now was written after the truncation.
    if (fstatSync(this.fd).size < this.offset) {
      this.offset = 0;
      this.buf.text = '';
    }
    const got = readFrom(this.fd, this.offset);
    this.offset += got.length;
    this.buf.text += got.toString('utf8');
    return takeLines(this.buf);
  }

  /** Every entry on record — the rotated files older than the live one, then the live one — once. */
  readAll(): LogEntry[] {
    if (this.fd === undefined && !this.openLive()) return [];
    const older: LogEntry[] = [];
    const files = this.rotated();
    // A rotation right after our open moved the live file to PATH.1: only files older than it count.
    const mine = files.findIndex((f) => f.ino === this.ino);
    for (const f of mine < 0 ? files : files.slice(0, mine)) {
      const fd = openExpecting(f.path, f.ino);
      if (fd === undefined) continue;
      try {
        older.push(...takeLines({ text: readFrom(fd, 0).toString('utf8') }));
      } finally {
        closeSync(fd);
      }
    }
    return [...older, ...this.readNew()];
  }

  /** Complete entries appended since the last call, following the file through rotations. */
  readNew(): LogEntry[] {
    if (this.fd === undefined && !this.openLive()) return [];
    const out: LogEntry[] = [];
    for (let attempt = 0; attempt < 16; attempt++) {
      // Looked at before the drain: whatever was written to the old file before its rename is then in it.
      const live = inodeAt(this.path);
      out.push(...this.drain());
      if (live === undefined || live === this.ino) return out;
      const next = this.switchAfterRotation();
      if (next) out.push(...next);
    }
    return out;
  }

  /** The old file is drained: read the rotated files newer than it, then move to the live one. */
  private switchAfterRotation(): LogEntry[] | undefined {
    const files = this.rotated();
    const mine = files.findIndex((f) => f.ino === this.ino);
    // Not among them: it was the oldest and is gone; every rotated file is newer.
    const newer = mine < 0 ? files : files.slice(mine + 1);
    const fds: number[] = [];
    const undo = () => { for (const fd of fds) closeSync(fd); };
    for (const f of newer) {
      const fd = openExpecting(f.path, f.ino);
      if (fd === undefined) {
        undo();
        return undefined; // rotated again while we looked: try again
      }
      fds.push(fd);
    }
    const liveIno = inodeAt(this.path);
    const liveFd = liveIno === undefined ? undefined : openExpecting(this.path, liveIno);
    if (liveFd === undefined || newer.some((f) => f.ino === liveIno)) {
      if (liveFd !== undefined) closeSync(liveFd);
      undo();
      return undefined;
    }
    const out: LogEntry[] = [];
    for (const fd of fds) out.push(...takeLines({ text: readFrom(fd, 0).toString('utf8') }));
    undo();
    closeSync(this.fd!);
    this.fd = liveFd;
    this.ino = liveIno!;
    this.offset = 0;
    this.buf.text = '';
    return out;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export async function streamLogs(id: string, opts: LogsOptions, sink: LogSink): Promise<void> {
  const since = timeArg('since', opts.since);
  const until = timeArg('until', opts.until);
  const tail = tailCount(opts.tail);
  const emit = (entries: LogEntry[]): void => {
    for (const e of entries) {
      const t = parseIsoMs(e.time);
      if (since !== undefined && t < since) continue;
      if (until !== undefined && t > until) continue;
      const text = opts.timestamps ? `${fixedNano(e.time)} ${e.log}` : e.log;
      if (e.stream === 'stderr') sink.stderr(text);
      else sink.stdout(text);
    }
  };
  if (readConfig(id).HostConfig.LogConfig?.Type === 'none') {
    throw new SkiffError('ESTATE', 'configured logging driver does not support reading', 'the container runs with --log-driver none: nothing was kept', { exitCode: 1 });
  }
  const file = new LogFile(logPath(id));
  try {
    const first = file.readAll();
    emit(tail < 0 ? first : tail === 0 ? [] : first.slice(-tail));
    if (!opts.follow) return;
    await follow(id, file, emit, until, opts.pollMs ?? 200, opts.signal);
  } finally {
    file.close();
  }
}

async function follow(id: string, file: LogFile, emit: (e: LogEntry[]) => void, until: number | undefined, pollMs: number, signal?: AbortSignal): Promise<void> {
  const changes = watchChanges(logPath(id), signal);
  try {
    for (;;) {
      // Check "still running" before reading, so lines written just before the end are not lost.
      let running: boolean;
      try {
        running = expectsProcess(await refreshState(id));
      } catch (e) {
        if ((e as { code?: string }).code === 'ENOCONTAINER') running = false;
        else throw e;
      }
      emit(file.readNew());
      if (!running || (until !== undefined && Date.now() > until) || signal?.aborted) return;
      await changes.next(pollMs);
    }
  } finally {
    changes.close();
  }
}
