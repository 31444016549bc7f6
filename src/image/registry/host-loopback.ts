// The service side of src/rootless/loopback-relay.ts: when SKIFF_HOST_LOOPBACK names the relay's
// socket (a rootless `skiff system service`), a registry on loopback is reached through it — the
// engine namespace's own 127.0.0.1 is not the host's. Plain http only: loopback registries are
// spoken to over http (transport.ts).
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { request, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

const LOOPBACK = /^(localhost|\[::1\]|127\.\d+\.\d+\.\d+)$/;

type Connector = (opts: unknown, done: (err: Error | null, socket: Duplex) => void) => undefined;

/**
 * A `createConnection` for node:http when `url` must go through the relay, else undefined. It answers
 * through node's callback form: the socket once the relay said OK, or the relay's error as a
 * connect error (`connect ECONNREFUSED 127.0.0.1:5000`), which the registry client reports and retries.
 */
export function relayConnector(url: URL): Connector | undefined {
  const relay = process.env.SKIFF_HOST_LOOPBACK;
  if (!relay || url.protocol !== 'http:' || !LOOPBACK.test(url.hostname)) return undefined;
  const port = url.port || '80';
  return (_opts, done) => {
    const s = connect(relay);
    let head = Buffer.alloc(0);
    let settled = false;
    const settle = (err: Error | null) => {
      if (settled) return;
      settled = true;
      s.off('data', onData);
      // node ignores the socket given with an error; it is destroyed here.
      if (err) { s.destroy(); done(err, s); return; }
      done(null, s);
    };
    const onData = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      const nl = head.indexOf(0x0a);
      if (nl < 0) return;
      const line = head.subarray(0, nl).toString('latin1');
      const rest = head.subarray(nl + 1);
      if (line === 'OK') {
        if (rest.length) s.unshift(rest);
        settle(null);
        return;
      }
      const code = /^ERR (\w+)$/.exec(line)?.[1] ?? 'EPROTO';
      settle(Object.assign(new Error(`connect ${code} ${url.hostname}:${port} (through the host-side relay)`), { code }));
    };
    s.on('data', onData);
    s.once('error', (e) => settle(e));
    s.once('close', () => settle(Object.assign(new Error(`the host-side relay hung up before ${url.hostname}:${port} answered`), { code: 'ECONNRESET' })));
    s.write(`${url.hostname} ${port}\n`);
    return undefined;
  };
}

function once(url: URL, method: string, headers: Record<string, string>, connector: Connector, body: unknown): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, createConnection: connector }, resolve);
    req.on('error', reject);
    if (body === undefined || body === null) { req.end(); return; }
    if (typeof body === 'string' || body instanceof Uint8Array) { req.end(body); return; }
    void (async () => {
      try {
        for await (const chunk of body as AsyncIterable<Uint8Array>) {
          if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        }
        req.end();
      } catch (e) {
        req.destroy(e as Error);
      }
    })();
  });
}

/** What fetch gives (a Response), for a request through the relay; GET/HEAD redirects are followed. */
export async function relayFetch(url: string, method: string, headers: Record<string, string>, body: unknown): Promise<Response> {
  let u = new URL(url);
  for (let hops = 0; ; hops++) {
    const connector = relayConnector(u);
    if (!connector) return fetch(u, { method, headers, redirect: 'follow' });
    const res = await once(u, method, headers, connector, body);
    const status = res.statusCode ?? 0;
    const loc = res.headers.location;
    if (status >= 300 && status < 400 && loc && (method === 'GET' || method === 'HEAD') && hops < 5) {
      res.resume();
      u = new URL(loc, u);
      continue;
    }
    const h = new Headers();
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
    const empty = method === 'HEAD' || [101, 204, 205, 304].includes(status);
    if (empty) res.resume();
    return new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, headers: h });
  }
}
