// The host-side relay of a rootless service's registry traffic (src/rootless/loopback-relay.ts): it
// connects only to loopback destinations, and pipes bytes both ways once the first line names one.
import { afterAll, describe, expect, it } from 'vitest';
import { connect, createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { relayTarget, startLoopbackRelay } from '../../src/rootless/loopback-relay.js';

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

  it('pipes to the named loopback port; anything else is hung up on; the socket is 0600', async () => {
    const echo = createServer((s) => s.pipe(s));
    const port = await new Promise<number>((r) => echo.listen(0, '127.0.0.1', () => r((echo.address() as AddressInfo).port)));
    const path = join(dir, 'relay.sock');
    const relay = await startLoopbackRelay(path);
    try {
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(await through(path, `127.0.0.1 ${port}\n`, 'hello through the relay')).toBe('hello through the relay');
      expect(await through(path, `10.0.2.2 ${port}\n`, 'nope')).toBe('');
      expect(await through(path, 'x'.repeat(400), '')).toBe('');
    } finally {
      relay.close();
      echo.close();
    }
  });
});
