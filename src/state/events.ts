// The engine's event log: one moby-shaped JSON message a line in `<run>/events.log`, appended by
// whichever skiff process acted (the CLI, the API service, a supervisor's cleanup), read by both
// `skiff events` and the API's GET /events — one source, so each sees what the other did. It lives in
// the run directory, so like dockerd's in-memory ring it does not outlive a reboot; past 1 MiB it is
// rotated to `events.log.1` (the two files hold the history `--since` can reach).
import { closeSync, constants, mkdirSync, openSync, readFileSync, renameSync, statSync, watch, writeSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { storePaths } from './paths.js';

export interface EventMessage {
  Type: string; Action: string; status?: string; id?: string; from?: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local'; time: number; timeNano: number;
}

const ROTATE_BYTES = 1 << 20;

export function eventLogPath(): string {
  return join(storePaths().run, 'events.log');
}

/**
 * One message as JSON with timeNano's exact digits: a nanosecond Unix time exceeds 2^53, so a JS number
 * would round it; the digits are kept in `nanos` (not serialised) and written in place of the number.
 */
export function eventJson(m: EventMessage): string {
  const nanos = (m as { nanos?: string }).nanos;
  const json = JSON.stringify(m);
  return nanos ? json.replace(/"timeNano":\d+(\.\d+)?(e\+\d+)?/, `"timeNano":${nanos}`) : json;
}

/** timeNano's exact digits (from the log line, or the message's own). */
export function eventNanos(m: EventMessage): bigint {
  const nanos = (m as { nanos?: string }).nanos;
  return nanos ? BigInt(nanos) : BigInt(Math.round(m.timeNano / 1e6)) * 1_000_000n;
}

function withNanos(m: EventMessage, nanos: string): EventMessage {
  Object.defineProperty(m, 'nanos', { value: nanos, enumerable: false });
  return m;
}

/** Build the message Docker sends: containers also carry the legacy status/id/from fields. */
export function eventMessage(type: string, action: string, id: string, attrs: Record<string, string> = {}, nowMs = performance.timeOrigin + performance.now()): EventMessage {
  const ns = BigInt(Math.round(nowMs * 1000)) * 1000n;
  return withNanos({
    Type: type, Action: action, ...(type === 'container' ? { status: action, id, ...(attrs.image ? { from: attrs.image } : {}) } : {}),
    Actor: { ID: id, Attributes: attrs }, scope: 'local', time: Number(ns / 1_000_000_000n), timeNano: Number(ns),
  }, ns.toString());
}

/**
 * Append one event. Never fails the verb that caused it: an event log that cannot be written (a
 * read-only run directory) loses the event, not the user's container.
 */
export function recordEvent(type: string, action: string, id: string, attrs: Record<string, string> = {}): void {
  try {
    const path = eventLogPath();
    mkdirSync(storePaths().run, { recursive: true, mode: 0o700 });
    try {
      if (statSync(path).size > ROTATE_BYTES) renameSync(path, `${path}.1`);
    } catch {
      // no log yet
    }
    // One write() of one line with O_APPEND: concurrent writers never interleave inside a line.
    const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, eventJson(eventMessage(type, action, id, attrs)) + '\n');
    } finally {
      closeSync(fd);
    }
  } catch {
    // see above
  }
}

function parseLines(text: string): EventMessage[] {
  const out: EventMessage[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const nanos = /"timeNano":(\d+)/.exec(line)?.[1];
      const m = JSON.parse(line) as EventMessage;
      out.push(nanos ? withNanos(m, nanos) : m);
    } catch {
      // a torn line from a crash: skip it
    }
  }
  return out;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Every event still on record, oldest first. */
export function pastEvents(): EventMessage[] {
  const path = eventLogPath();
  return parseLines(readOr(`${path}.1`) + readOr(path));
}

/**
 * Call `on` for each event appended from now on until `signal` aborts (inotify on the run directory,
 * plus a poll every `pollMs` for file systems that do not report).
 */
export async function followEvents(on: (m: EventMessage) => void, signal: AbortSignal, pollMs = 250): Promise<void> {
  const path = eventLogPath();
  mkdirSync(storePaths().run, { recursive: true, mode: 0o700 });
  let ino = 0;
  let offset = 0;
  try {
    const st = statSync(path);
    ino = st.ino;
    offset = st.size;
  } catch {
    // not written yet: everything that comes is new
  }
  let partial = '';
  const drain = () => {
    let st;
    try {
      st = statSync(path);
    } catch {
      return;
    }
    if (st.ino !== ino || st.size < offset) {
      // Rotated: what was appended to the old file before the rename is in events.log.1.
      const old = readOr(`${path}.1`);
      if (ino && offset < Buffer.byteLength(old)) for (const m of parseLines(partial + Buffer.from(old).subarray(offset).toString('utf8'))) on(m);
      ino = st.ino;
      offset = 0;
      partial = '';
    }
    if (st.size <= offset) return;
    const buf = Buffer.from(readOr(path)).subarray(offset);
    offset += buf.length;
    const text = partial + buf.toString('utf8');
    const cut = text.lastIndexOf('\n') + 1;
    partial = text.slice(cut);
    for (const m of parseLines(text.slice(0, cut))) on(m);
  };
  let watcher: FSWatcher | undefined;
  let wake: (() => void) | undefined;
  try {
    watcher = watch(storePaths().run, () => wake?.());
    watcher.on('error', () => {});
  } catch {
    // polling alone
  }
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    while (!signal.aborted) {
      drain();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        wake = () => { clearTimeout(t); resolve(); };
      });
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    watcher?.close();
  }
}

/** A container event's attributes as moby gives them: its labels, then image and name. */
export function containerAttrs(config: { Name: string; ImageRef: string; Config: { Labels?: Record<string, string> | null } }, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(config.Config.Labels ?? {}), image: config.ImageRef, name: config.Name, ...extra };
}

/** Record a container event with the container's attributes (read from its record). */
export function recordContainerEvent(config: Parameters<typeof containerAttrs>[0] & { Id: string }, action: string, extra: Record<string, string> = {}): void {
  recordEvent('container', action, config.Id, containerAttrs(config, extra));
}
