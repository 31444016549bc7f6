// The host-side relay of a rootless service's registry traffic (src/rootless/loopback-relay.ts): it
// connects only to loopback destinations, and pipes bytes both ways once the first line names one;
// the service side (src/image/registry/host-loopback.ts) turns its refusals into connect errors.
import { afterAll, describe, expect, it } from 'vitest';
import { connect, createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createServer as httpServer } from 'node:http';
import { relayTarget, startLoopbackRelay } from '../../src/rootless/loopback-relay.js';
import { relayFetch } from '../../src/image/registry/host-loopback.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-relay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function through(sock: string, first: string, payload: string): Promise<string> {
  return new Promise((resolve) => {
    const c = connect(sock);
    let got = '';
    c.on('data', (d: Buffer) => (got += d.toString()));
    c.on('close', () => resolve(got));
    c.on('error', () => {});
    c.write(first + payload);
    setTimeout(() => c.end(), 300);
  });
}

describe('loopback relay', () => {
  it('serves loopback destinations only', () => {
    expect(relayTarget('127.0.0.1 5000')).toEqual({ host: '127.0.0.1', port: 5000 });
    expect(relayTarget('127.1.2.3 80')).toEqual({ host: '127.1.2.3', port: 80 });
    expect(relayTarget('localhost 5000')).toEqual({ host: '127.0.0.1', port: 5000 });
    expect(relayTarget('[::1] 5000')).toEqual({ host: '::1', port: 5000 });
    for (const bad of ['10.0.2.2 5000', '0.0.0.0 5000', '192.168.1.1 80', '127.0.0.256 80', '127.0.0.1 0', '127.0.0.1 65536', '127.0.0.1:5000', 'example.com 80', '127.0.0.1  80', '']) {
      expect(relayTarget(bad), bad).toBeUndefined();
    }
  });

  it('pipes to the named loopback port after OK; a refused or unreachable destination gets ERR and the end; the socket is 0600', async () => {
    const echo = createServer((s) => s.pipe(s));
    const port = await new Promise<number>((r) => echo.listen(0, '127.0.0.1', () => r((echo.address() as AddressInfo).port)));
    const path = join(dir, 'relay.sock');
    const relay = await startLoopbackRelay(path);
    try {
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(await through(path, `127.0.0.1 ${port}\n`, 'hello through the relay')).toBe('OK\nhello through the relay');
      expect(await through(path, `10.0.2.2 ${port}\n`, 'nope')).toBe('ERR EACCES\n');
      const dead = await new Promise<number>((r) => { const t = createServer().listen(0, '127.0.0.1', () => { const p = (t.address() as AddressInfo).port; t.close(() => r(p)); }); });
      expect(await through(path, `127.0.0.1 ${dead}\n`, 'x')).toBe('ERR ECONNREFUSED\n');
      expect(await through(path, 'x'.repeat(400), '')).toBe('');
    } finally {
      relay.close();
      echo.close();
    }
  });

  it('the service side: requests go through the relay when SKIFF_HOST_LOOPBACK names it; refusals are connect errors', async () => {
    const web = httpServer((q, r) => r.writeHead(200, { 'X-Seen': q.method ?? '' }).end(`hello ${q.url}`));
    const port = await new Promise<number>((r) => web.listen(0, '127.0.0.1', () => r((web.address() as AddressInfo).port)));
    const path = join(dir, 'svc.sock');
    const relay = await startLoopbackRelay(path);
    let served = 0;
    relay.on('connection', () => served++);
    const old = process.env.SKIFF_HOST_LOOPBACK;
    process.env.SKIFF_HOST_LOOPBACK = path;
    try {
      const res = await relayFetch(`http://127.0.0.1:${port}/v2/`, 'GET', {}, undefined);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-seen')).toBe('GET');
      expect(await res.text()).toBe('hello /v2/');
      const put = await relayFetch(`http://localhost:${port}/up`, 'PUT', { 'Content-Length': '3' }, new Uint8Array([1, 2, 3]));
      expect(put.headers.get('x-seen')).toBe('PUT');
      expect(served).toBe(2);
      web.close();
      await new Promise((r) => setTimeout(r, 50));
      const err = await relayFetch(`http://127.0.0.1:${port}/v2/`, 'GET', {}, undefined).then(() => undefined, (e: NodeJS.ErrnoException) => e);
      expect(err?.code).toBe('ECONNREFUSED');
      expect(err?.message).toBe(`connect ECONNREFUSED 127.0.0.1:${port} (through the host-side relay)`);
    } finally {
      if (old === undefined) delete process.env.SKIFF_HOST_LOOPBACK;
      else process.env.SKIFF_HOST_LOOPBACK = old;
      relay.close();
      web.close();
    }
  });
});
