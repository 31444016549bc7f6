// Small pieces every route uses: the request body as JSON, moby's query booleans, JSON answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors.js';

export async function readBody(req: IncomingMessage, limit = 16 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of req) {
    n += (chunk as Buffer).length;
    if (n > limit) throw new ApiError(413, 'request body too large');
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

/** The body as JSON; `source` is a request or a context whose body() knows about upgraded connections. */
export async function readJson<T>(source: IncomingMessage | { body(): Promise<Buffer> }): Promise<T | undefined> {
  const body = 'body' in source && typeof source.body === 'function' ? await source.body() : await readBody(source as IncomingMessage);
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch (e) {
    throw new ApiError(400, `invalid JSON: ${(e as Error).message}`);
  }
}

/** moby's httputils.BoolValue: anything but "", "0", "no", "false", "none" is true. */
export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = (q.get(name) ?? '').trim().toLowerCase();
  return !['', '0', 'no', 'false', 'none'].includes(v);
}

export function intParam(q: URLSearchParams, name: string, fallback: number): number {
  const v = q.get(name);
  if (v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ApiError(400, `invalid value for ${name}: ${v}`);
  return n;
}

/** `filters={"status":["exited"],"label":{"a=b":true}}` → ["status=exited", "label=a=b"]. */
export function filterList(q: URLSearchParams): string[] {
  const raw = q.get('filters');
  if (!raw) return [];
  let f: Record<string, string[] | Record<string, boolean>>;
  try {
    f = JSON.parse(raw) as typeof f;
  } catch {
    throw new ApiError(400, `invalid filter: ${raw}`);
  }
  const out: string[] = [];
  for (const [k, v] of Object.entries(f)) {
    const values = Array.isArray(v) ? v : Object.keys(v).filter((x) => v[x]);
    for (const x of values) out.push(`${k}=${x}`);
  }
  return out;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}
