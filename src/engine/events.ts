// `skiff events` and the API's GET /events over the one event log (src/state/events.ts): Docker's
// filters (the same key is OR, different keys AND), --since (replay from the log) and --until (stop
// there), and the docker CLI's line format or a --format template.
import { SkiffError } from '../errors.js';
import { eventJson, eventNanos, followEvents, pastEvents, type EventMessage } from '../state/events.js';
import { parseTimeArg } from '../format/duration.js';

const FILTER_KEYS = ['container', 'event', 'image', 'label', 'network', 'type', 'volume', 'scope', 'daemon'];

/** `key=value` strings (the CLI's --filter, the API's decoded filters) as one predicate. */
export function eventFilter(filters: string[]): (m: EventMessage) => boolean {
  const byKey = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    const key = eq < 0 ? f : f.slice(0, eq);
    if (!FILTER_KEYS.includes(key)) throw new SkiffError('EUSAGE', `invalid filter '${key}'`, `supported filters: ${FILTER_KEYS.join(', ')}`, { exitCode: 1 });
    byKey.set(key, [...(byKey.get(key) ?? []), eq < 0 ? '' : f.slice(eq + 1)]);
  }
  const attrs = (m: EventMessage) => m.Actor?.Attributes ?? {};
  const actorIs = (m: EventMessage, type: string, v: string) => m.Type === type && (m.Actor.ID === v || (v.length >= 1 && m.Actor.ID.startsWith(v)) || attrs(m).name === v);
  const one: Record<string, (m: EventMessage, v: string) => boolean> = {
    type: (m, v) => m.Type === v,
    // `event=health_status` matches `health_status: healthy` too, as moby does.
    event: (m, v) => m.Action === v || m.Action.startsWith(`${v}:`),
    container: (m, v) => actorIs(m, 'container', v),
    network: (m, v) => actorIs(m, 'network', v) || (m.Type === 'network' && attrs(m).container === v),
    volume: (m, v) => actorIs(m, 'volume', v),
    image: (m, v) => (m.Type === 'image' && (m.Actor.ID === v || attrs(m).name === v)) || (m.Type === 'container' && (attrs(m).image === v || attrs(m).image === `${v}:latest`)),
    label: (m, v) => {
      const eq = v.indexOf('=');
      return eq < 0 ? v in attrs(m) : attrs(m)[v.slice(0, eq)] === v.slice(eq + 1);
    },
    scope: (m, v) => m.scope === v,
    daemon: () => false,
  };
  return (m) => [...byKey].every(([k, vs]) => vs.some((v) => one[k]!(m, v)));
}

/** A --since/--until value as Unix milliseconds (Docker's forms: RFC 3339, Unix seconds, a duration back from now). */
export function eventTime(name: string, text: string | undefined, now = Date.now()): number | undefined {
  if (text === undefined || text === '') return undefined;
  const t = parseTimeArg(text, now);
  if (t === undefined) throw new SkiffError('EUSAGE', `invalid value for "${name}": ${text}`, 'give an RFC 3339 time (2026-11-25T12:00:00Z), Unix seconds, or a duration like 10m', { exitCode: 1 });
  return t;
}

/** The docker CLI's line: `2026-12-05T12:00:00.123456789+00:00 container start ID (image=…, name=…)`. */
export function eventLine(m: EventMessage): string {
  const ns = eventNanos(m);
  const ms = Number(ns / 1_000_000n);
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const local = new Date(ms + off * 60_000).toISOString().slice(0, 19);
  const frac = String(ns % 1_000_000_000n).padStart(9, '0');
  const zone = `${off >= 0 ? '+' : '-'}${String(Math.floor(Math.abs(off) / 60)).padStart(2, '0')}:${String(Math.abs(off) % 60).padStart(2, '0')}`;
  const keys = Object.keys(m.Actor.Attributes).sort();
  const attrs = keys.length ? ` (${keys.map((k) => `${k}=${m.Actor.Attributes[k]}`).join(', ')})` : '';
  return `${local}.${frac}${zone} ${m.Type} ${m.Action} ${m.Actor.ID}${attrs}`;
}

export interface EventStreamOptions { filters: string[]; since?: number; until?: number; signal: AbortSignal }

/**
 * Deliver the matching events: with `since`, first those on record from then on; then new ones as they
 * come, until `until` passes or `signal` aborts. Resolves when the stream is over.
 */
export async function streamEvents(o: EventStreamOptions, on: (m: EventMessage) => void): Promise<void> {
  const match = eventFilter(o.filters);
  const inWindow = (m: EventMessage) => (o.since === undefined || m.timeNano / 1e6 >= o.since) && (o.until === undefined || m.timeNano / 1e6 <= o.until);
  const stop = new AbortController();
  const end = () => stop.abort();
  o.signal.addEventListener('abort', end, { once: true });
  const timer = o.until === undefined ? undefined : setTimeout(end, Math.max(0, o.until - Date.now()));
  try {
    // Start following before reading the record, so nothing appended in between is lost; a message
    // seen in both is delivered once (the follower's ones that the record already had are skipped).
    const seen = new Set<string>();
    const key = (m: EventMessage) => `${eventNanos(m)} ${m.Type} ${m.Action} ${m.Actor.ID}`;
    let replaying = true;
    const queued: EventMessage[] = [];
    const following = followEvents((m) => {
      if (replaying) return void queued.push(m);
      if (match(m) && inWindow(m)) on(m);
    }, stop.signal);
    if (o.since !== undefined) {
      for (const m of pastEvents()) {
        seen.add(key(m));
        if (match(m) && inWindow(m)) on(m);
      }
    }
    replaying = false;
    for (const m of queued) if (!seen.has(key(m)) && match(m) && inWindow(m)) on(m);
    if (o.until !== undefined && o.until <= Date.now()) stop.abort();
    await following;
  } finally {
    if (timer) clearTimeout(timer);
    o.signal.removeEventListener('abort', end);
  }
}

/**
 * What a --format template sees: the docker CLI renders Go's events.Message, whose fields are Status,
 * ID, From (the legacy container fields, empty for other types), Type, Action, Actor, Scope, Time and
 * TimeNano — not the JSON keys (`{{json .}}` prints those).
 */
function templateView(m: EventMessage): Record<string, unknown> {
  const view = {
    Status: m.status ?? '', ID: m.id ?? '', From: m.from ?? '', Type: m.Type, Action: m.Action, Actor: m.Actor,
    Scope: m.scope, Time: m.time, TimeNano: eventNanos(m).toString(),
  };
  // `{{json .}}` is the message as the API sends it (lower-case legacy keys), as Go's json tags give it.
  Object.defineProperty(view, 'toJSON', { value: () => m, enumerable: false });
  return view;
}

/** `skiff events`: print until --until or Ctrl-C. */
export async function eventsCommand(o: { filters: string[]; since?: string; until?: string; format?: string }): Promise<void> {
  const now = Date.now();
  const since = eventTime('since', o.since, now);
  const until = eventTime('until', o.until, now);
  let render = eventLine;
  if (o.format !== undefined) {
    const { compileTemplate, parseFormat } = await import('../format/template.js');
    if (o.format === 'json') render = eventJson;
    else if (o.format !== '') {
      const t = compileTemplate(parseFormat(o.format).body, { missing: 'novalue' });
      render = (m) => t.render(templateView(m));
    }
  }
  const ctl = new AbortController();
  const onSig = () => ctl.abort();
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  try {
    await streamEvents({ filters: o.filters, ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), signal: ctl.signal }, (m) => {
      process.stdout.write(render(m) + '\n');
    });
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
}
