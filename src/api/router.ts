// The Engine API's routing: `/v1.24/…` to `/v1.50/…` and unversioned paths, one table of
// (method, path pattern, handler). Handlers get a context with the path parameters, the query, and —
// for attach and exec start — a way to take over the connection. Any error thrown before a handler
// answered becomes moby's `{"message": "…"}` with the status errors.ts picks.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ApiError, errorStatus } from './errors.js';
import { hijackPlain, hijackUpgraded, type Hijacked } from './hijack.js';
import { readBody } from './http-util.js';
import { handshakeProblem, hijackWebSocket, OP } from './websocket.js';

import { API_VERSION, MIN_API_VERSION } from '../engine/system-info.js';

export { API_VERSION, MIN_API_VERSION };

export interface Ctx {
  req: IncomingMessage;
  /** Absent on an upgraded connection (then only hijack() can answer). */
  res: ServerResponse | undefined;
  params: string[];
  query: URLSearchParams;
  /** The API version the client asked for (the path's /vX.Y, else the newest). */
  version: string;
  /** Answer 101 (Upgrade) or 200 and own the connection: output, input, and a signal for the end. */
  hijack(multiplexed: boolean): Hijacked;
  /** Answer a WebSocket handshake (101) and own the connection; data goes out as binary or text frames. */
  websocket(binary: boolean): Hijacked;
  /** The plain response; throws on an upgraded connection. */
  response(): ServerResponse;
  /** Aborted when the client closes its connection. */
  gone: AbortSignal;
  /** The request body (on an upgraded connection: the Content-Length bytes after the headers). */
  body(): Promise<Buffer>;
}

export type Handler = (ctx: Ctx) => Promise<void>;
type Route = { method: string; pattern: RegExp; handler: Handler };

export class Router {
  private readonly routes: Route[] = [];

  /** `log` hears about requests no route answers (what a client needs that skiff lacks). */
  constructor(private readonly log: (line: string) => void = () => {}) {}

  /** `path` uses `{name}` for one segment and `{name*}` for the rest (image names contain slashes). */
  on(method: string, path: string, handler: Handler): this {
    const src = path.replace(/[.]/g, '\\.').replace(/\{\w+\*\}/g, '(.+)').replace(/\{\w+\}/g, '([^/]+)');
    this.routes.push({ method, pattern: new RegExp(`^${src}$`), handler });
    return this;
  }

  async handle(req: IncomingMessage, res: ServerResponse | undefined, upgrade?: { socket: Socket; head: Buffer }): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://skiff');
    let path = url.pathname;
    let version = API_VERSION;
    const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(path);
    const ctl = new AbortController();
    const sock = upgrade?.socket ?? req.socket;
    const onClose = () => ctl.abort();
    sock.once('close', onClose);
    res?.once('close', onClose);
    let answered = false;
    let head = upgrade?.head ?? Buffer.alloc(0);
    const ctx: Ctx = {
      req, res, params: [], query: url.searchParams, version,
      gone: ctl.signal,
      hijack(mux) {
        answered = true;
        return upgrade ? hijackUpgraded(upgrade.socket, head, mux) : hijackPlain(req, res!, mux);
      },
      websocket(binary) {
        const problem = upgrade ? handshakeProblem(req) : 'not a websocket handshake: Upgrade: websocket is missing';
        if (problem) throw new ApiError(400, problem);
        answered = true;
        return hijackWebSocket(req, upgrade!.socket, head, binary ? OP.binary : OP.text);
      },
      async body() {
        if (!upgrade) return readBody(req);
        // node:http hands an upgraded request over unparsed after its headers: the body is the first
        // Content-Length bytes of what follows; the rest is the client's stream.
        const want = Number(req.headers['content-length'] ?? 0);
        const sock = upgrade.socket;
        while (head.length < want) {
          const more = await new Promise<Buffer | undefined>((resolve) => {
            const onData = (d: Buffer) => { done(); resolve(d); };
            const onEnd = () => { done(); resolve(undefined); };
            const done = () => { sock.off('data', onData); sock.off('end', onEnd); sock.off('close', onEnd); sock.pause(); };
            sock.on('data', onData);
            sock.once('end', onEnd);
            sock.once('close', onEnd);
            sock.resume();
          });
          if (!more) break;
          head = Buffer.concat([head, more]);
        }
        const body = head.subarray(0, want);
        head = head.subarray(want);
        return body;
      },
      response() {
        if (!res) throw new ApiError(400, 'this endpoint does not upgrade the connection');
        return res;
      },
    };
    try {
      if (m) {
        version = m[1]!;
        path = m[2]!;
        if (compareVersion(version, API_VERSION) > 0) throw new ApiError(400, `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
        if (compareVersion(version, MIN_API_VERSION) < 0) throw new ApiError(400, `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
        ctx.version = version;
      }
      const method = req.method === 'HEAD' && path !== '/_ping' && !path.endsWith('/archive') ? 'GET' : req.method ?? 'GET';
      let found = false;
      for (const r of this.routes) {
        const hit = r.pattern.exec(path);
        if (!hit) continue;
        found = true;
        if (r.method !== method) continue;
        ctx.params = hit.slice(1).map((p) => decodeURIComponent(p));
        await r.handler(ctx);
        return;
      }
      this.log(`no route for ${req.method} ${url.pathname}`);
      throw new ApiError(found ? 405 : 404, found ? `${req.method} not allowed on ${path}` : `page not found`);
    } catch (e) {
      const { status, message } = errorStatus(e);
      // Headers already sent (a stream that failed half-way): all that is left is to end it.
      if (!answered && !res?.headersSent) sendError(res, upgrade?.socket, status, message);
      else if (res && !res.writableEnded) res.end();
    } finally {
      sock.off('close', onClose);
    }
  }
}

function sendError(res: ServerResponse | undefined, socket: Socket | undefined, status: number, message: string): void {
  const body = JSON.stringify({ message }) + '\n';
  if (res) {
    if (res.headersSent) { res.end(); return; }
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  } else if (socket) {
    socket.end(`HTTP/1.1 ${status} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
}

export function compareVersion(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}
