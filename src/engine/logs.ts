// `skiff logs`: read the shim's json-file log (`{"log","stream","time"}` per line) and replay it —
// stdout entries to stdout, stderr entries to stderr — with Docker's --tail, -t, --since, --until,
// and -f, which keeps reading until the container is no longer running.
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
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

/** A json-file log read incrementally; the descriptor stays open, so a removed log can still be drained. */
export class LogFile {
  private fd: number | undefined;
  private offset = 0;
  private buf = { text: '' };
  constructor(private readonly path: string) {}

  /** Complete entries appended since the last call. */
  readNew(): LogEntry[] {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.path, 'r');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
    }
    const chunk = Buffer.alloc(1 << 16);
    const parts: Buffer[] = [];
    let n: number;
    while ((n = readSync(this.fd, chunk, 0, chunk.length, this.offset)) > 0) {
      parts.push(Buffer.from(chunk.subarray(0, n)));
      this.offset += n;
    }
    this.buf.text += Buffer.concat(parts).toString('utf8');
    return takeLines(this.buf);
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
    const first = [...rotatedEntries(logPath(id)), ...file.readNew()];
    emit(tail < 0 ? first : tail === 0 ? [] : first.slice(-tail));
    if (!opts.follow) return;
    await follow(id, file, emit, until, opts.pollMs ?? 200, opts.signal);
  } finally {
    file.close();
  }
}

/** The files --log-opt max-file keeps (PATH.N … PATH.1, oldest first), read before the live one. */
function rotatedEntries(path: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (let n = 64; n >= 1; n--) {
    if (!existsSync(`${path}.${n}`)) continue;
    out.push(...takeLines({ text: readFileSync(`${path}.${n}`, 'utf8') }));
  }
  return out;
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
