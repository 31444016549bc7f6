// `skiff system service`: the resident engine behind the Engine API. One unix socket (0600, the
// caller's own; rootful may share it with a group, which is root-equivalent), optionally one TCP
// listener, both served by node:http. Many clients at once; with --timeout it exits after that many
// seconds without a client. In the foreground: Ctrl-C (or SIGTERM) closes the socket and leaves.
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SkiffError } from '../errors.js';
import { storePaths } from '../state/paths.js';
import { engineApi } from '../api/index.js';

export interface ServiceOptions {
  socket?: string;
  /** Seconds without any client before the service exits; 0 = never. */
  timeoutSec: number;
  group?: string;
  /** tcp://ADDR:PORT */
  host?: string;
  log(line: string): void;
}

export function defaultSocketPath(): string {
  return join(storePaths().run, 'skiff.sock');
}

function groupId(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const line = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[0] === name);
  if (!line) throw new SkiffError('EUSAGE', `no such group: ${name}`, 'create it with groupadd, or give an existing group');
  return Number(line.split(':')[2]);
}

/** A socket file nobody answers on is a leftover of a service that died: take its place. */
async function claimSocketPath(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const c = connect(path);
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
  if (alive) throw new SkiffError('ESTATE', `another service already listens on ${path}`, 'stop it first, or give another --socket');
  unlinkSync(path);
}

function parseHost(host: string): { address: string; port: number } {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:]*):(\d+)$/.exec(host);
  if (!m) throw new SkiffError('EUSAGE', `invalid --host ${host}`, 'use tcp://127.0.0.1:2375');
  return { address: m[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(m[2]) };
}

function listen(server: Server, ...args: [string] | [number, string]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(...(args as [string]), () => { server.off('error', reject); resolve(); });
  });
}

/** Runs until a signal (or the idle timeout); resolves when every listener is closed. */
export async function runService(opts: ServiceOptions): Promise<void> {
  const path = opts.socket ?? defaultSocketPath();
  const api = engineApi((e) => opts.log(`internal error: ${(e as Error)?.stack ?? String(e)}`), opts.log);
  const servers: Server[] = [];
  let active = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const armIdle = () => {
    if (opts.timeoutSec > 0 && active === 0) {
      idleTimer = setTimeout(() => { opts.log(`no client for ${opts.timeoutSec}s: exiting`); stop(); }, opts.timeoutSec * 1000);
    }
  };
  const make = (): Server => {
    const s = createServer({ requestTimeout: 0, keepAliveTimeout: 5000 });
    s.on('request', api.request);
    s.on('upgrade', api.upgrade);
    s.on('connection', (sock) => {
      active++;
      if (idleTimer) { clearTimeout(idleTimer); idleTimer = undefined; }
      sock.once('close', () => { active--; armIdle(); });
    });
    s.on('clientError', (_e, sock) => { if (!sock.destroyed) sock.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'); });
    servers.push(s);
    return s;
  };
  // systemd socket activation (skiff.socket): the listening socket arrives as fd 3, made by systemd
  // with the unit's mode and group; the path is systemd's to manage.
  const activated = process.env.LISTEN_FDS === '1' && process.env.LISTEN_PID === String(process.pid);
  if (activated) {
    await new Promise<void>((resolve, reject) => {
      const s = make();
      s.once('error', reject);
      s.listen({ fd: 3 }, () => resolve());
    });
    opts.log('API listening on the socket systemd passed (fd 3)');
  } else {
    await listenUnix(make(), path, opts);
    opts.log(`API listening on ${path}`);
  }
  if (opts.host) {
    const { address, port } = parseHost(opts.host);
    const loopback = address === '127.0.0.1' || address === '::1' || address === 'localhost';
    if (!loopback) opts.log(`WARNING: the Engine API on ${address}:${port} has no authentication: anyone who can reach it controls this machine's containers`);
    await listen(make(), port, address);
    opts.log(`API listening on tcp://${address}:${port}`);
  }
  armIdle();
  const onSignal = () => stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await stopped;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (idleTimer) clearTimeout(idleTimer);
  for (const s of servers) {
    s.close();
    s.closeAllConnections();
  }
  if (!activated) {
    try { unlinkSync(path); } catch { /* already gone */ }
  }
}

async function listenUnix(server: Server, path: string, opts: ServiceOptions): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  await claimSocketPath(path);
  // The socket is made 0600 from the start (umask), never briefly open to others.
  const oldMask = process.umask(0o177);
  try {
    await listen(server, path);
  } finally {
    process.umask(oldMask);
  }
  chmodSync(path, 0o600);
  if (opts.group !== undefined) {
    const gid = groupId(opts.group);
    chownSync(path, process.getuid?.() ?? 0, gid);
    chmodSync(path, 0o660);
    opts.log(`WARNING: members of group ${opts.group} can use ${path}: access to this socket is equivalent to root on this machine`);
  }
}
