// A loopback HTTP proxy in front of the test registry that misbehaves on demand: cut a blob short,
// corrupt its bytes, answer 500 a few times, or replace a manifest with another document.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'truncate'; times: number }
  | { kind: 'corrupt'; times: number }
  | { kind: 'status'; status: number; times: number }
  | { kind: 'replace'; contentType: string; body: string; times: number };

export interface FaultProxy {
  host: string;
  /** Rules tried in order: a path pattern and the fault to apply to matching requests. */
  rules: { method: string; path: RegExp; fault: Fault }[];
  hits: Map<string, number>;
  close(): Promise<void>;
}

export async function startFaultProxy(upstreamPort: number): Promise<FaultProxy> {
  const proxy: FaultProxy = { host: '', rules: [], hits: new Map(), close: async () => {} };
  const server: Server = createServer((req, res) => {
    const key = `${req.method} ${req.url}`;
    proxy.hits.set(key, (proxy.hits.get(key) ?? 0) + 1);
    const rule = proxy.rules.find((r) => r.method === req.method && r.path.test(req.url ?? '') && r.fault.times > 0);
    const fault = rule?.fault;
    if (fault) fault.times--;
    if (fault?.kind === 'status') {
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'text/plain' }).end('injected failure');
      return;
    }
    if (fault?.kind === 'replace') {
      req.resume();
      res.writeHead(200, { 'content-type': fault.contentType, 'content-length': Buffer.byteLength(fault.body) }).end(fault.body);
      return;
    }
    const up = request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers }, (ures: IncomingMessage) => {
      if (!fault) {
        res.writeHead(ures.statusCode ?? 502, ures.headers);
        ures.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      ures.on('data', (c: Buffer) => chunks.push(c));
      ures.on('end', () => {
        const body = Buffer.concat(chunks);
        res.writeHead(ures.statusCode ?? 502, ures.headers);
        if (fault.kind === 'truncate') {
          res.write(body.subarray(0, Math.floor(body.length / 2)));
          setTimeout(() => res.socket?.destroy(), 20);
        } else {
          const bad = Buffer.from(body);
          for (let i = 0; i < bad.length; i += 97) bad[i] = bad[i]! ^ 0xff;
          res.end(bad);
        }
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
  proxy.host = `127.0.0.1:${port}`;
  proxy.close = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return proxy;
}
