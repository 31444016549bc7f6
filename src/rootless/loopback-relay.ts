// The host side of a rootless service's registry traffic. The engine's network namespace reaches the
// outside through slirp4netns started with --disable-host-loopback, so that no container can reach
// services bound to the host's 127.0.0.1 — but then the service cannot pull from or push to a registry
// there either (`skiff push 127.0.0.1:5000/…` and `docker push` through the API failed). Instead of
// opening the uplink, the process that starts `skiff system service` stays on the host side and relays:
// the service connects to this unix socket (0600 in the user's private run dir, never mounted into a
// container), names a loopback host and port on the first line, and — after an `OK` line, or an
// `ERR <code>` line and the end — gets a byte pipe to it made in the host's network namespace. Only
// loopback destinations are served.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { chmodSync, rmSync } from 'node:fs';

const MAX_HEADER = 300;

/** `127.x.y.z PORT`, `::1 PORT` or `localhost PORT`: where the relay may connect, else undefined. */
export function relayTarget(line: string): { host: string; port: number } | undefined {
  const m = /^(\S+) (\d{1,5})$/.exec(line);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  const host = m[1]!.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return { host: '127.0.0.1', port };
  if (host === '::1' || /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(host) && host.split('.').every((o) => Number(o) <= 255)) return { host, port };
  return undefined;
}

function relay(client: Socket): void {
  let head = Buffer.alloc(0);
  const onData = (d: Buffer) => {
    head = Buffer.concat([head, d]);
    const nl = head.indexOf(0x0a);
    if (nl < 0) {
      if (head.length > MAX_HEADER) client.destroy();
      return;
    }
    client.off('data', onData);
    client.pause();
    const target = relayTarget(head.subarray(0, nl).toString('latin1'));
    if (!target) { client.end('ERR EACCES\n'); return; }
    const rest = head.subarray(nl + 1);
    const upstream = connect(target.port, target.host);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      client.write('OK\n');
      if (rest.length) upstream.write(rest);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    // Before the pipe exists the service hears why (ECONNREFUSED…); after, a plain hang-up.
    upstream.on('error', (e: NodeJS.ErrnoException) => (connected ? client.destroy() : client.end(`ERR ${e.code ?? 'EIO'}\n`)));
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  };
  client.on('data', onData);
  client.on('error', () => client.destroy());
}

/** Listen on `path` (replacing a leftover); the returned server is unref'd: it never keeps Node alive. */
export async function startLoopbackRelay(path: string): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer(relay);
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => { server.off('error', reject); resolve(); });
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(path, 0o600);
  server.unref();
  return server;
}
