// Starting `skiff system service` for a test: on a socket in the test's store, as root or as a test
// user, and waiting until it answers /_ping. stop() ends it with SIGTERM and checks it left.
import { afterAll, beforeAll } from 'vitest';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { SKIFF, skiff, tempStore, type Store } from './skiff.js';
import type { Condition } from './conditions.js';
import { assertSuiteNetns } from './netns.js';
import type { TestUser } from './users.js';
import { daemonLog } from './daemon-log.js';

export interface Service { socket: string; child: ChildProcess; log(): string; stop(): Promise<void> }

export interface ApiReply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** One HTTP request over the unix socket. */
export function api(socket: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request({ socketPath: socket, method, path, headers: { ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

export async function startService(root: string, opts: { user?: TestUser; args?: string[]; env?: Record<string, string>; socketName?: string } = {}): Promise<Service> {
  const socket = join(root, opts.socketName ?? 'api.sock');
  const args = ['system', 'service', '--socket', socket, ...(opts.args ?? [])];
  const env = { PATH: process.env.PATH!, SKIFF_ROOT: root, ...(opts.user ? { HOME: opts.user.home, USER: opts.user.name } : { HOME: process.env.HOME ?? '/root' }), ...opts.env };
  const log = daemonLog(`${socket}.log`);
  const stdio: StdioOptions = ['ignore', log.fd, log.fd];
  const child = opts.user
    ? spawn('setpriv', [`--reuid=${opts.user.uid}`, `--regid=${opts.user.gid}`, '--init-groups', '--', SKIFF, ...args], { env, stdio })
    : spawn(SKIFF, args, { env, stdio });
  log.close();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`service exited early: ${log.read()}`);
    const ok = await api(socket, 'GET', '/_ping').then((r) => r.status === 200, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
    if (i === 299) throw new Error(`service did not answer: ${log.read()}`);
  }
  return {
    socket, child, log: log.read,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * For a describe block: a root store with the lab images and a service on it, made in beforeAll (unless
 * one of the block's conditions is unmet: its tests then say why) and gone in afterAll.
 */
export function labService(prefix: string, conds: Condition[]): { readonly store: Store; readonly svc: Service } {
  const made: { store?: Store; svc?: Service } = {};
  beforeAll(async () => {
    if (conds.some((c) => c())) return;
    assertSuiteNetns();
    made.store = tempStore(prefix);
    const lab = skiff(['lab', 'load'], { env: made.store.env, timeout: 280_000 });
    if (lab.status !== 0) throw new Error(`lab load failed: ${lab.stderr}`);
    made.svc = await startService(made.store.root);
  });
  afterAll(async () => {
    await made.svc?.stop();
    made.store?.dispose();
  });
  return { get store() { return made.store!; }, get svc() { return made.svc!; } };
}
