// An image's own HEALTHCHECK and STOPSIGNAL, end to end, as Docker honours them: built by `skiff build`,
// the probe runs and `ps`/`inspect` show it; `stop` sends the image's signal; run-time `--no-healthcheck`,
// `--health-*` and `--stop-signal` override the image field by field; an image that arrives by `save`/`load`
// keeps both; and the Engine API's create (what `docker run` sends) overrides them the same way.
// Root and rootless; containers run with --network none (no traffic at all).
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needRoot, needUserns } from '../helpers/conditions.js';
import { SKIFF, tempStore, type Store } from '../helpers/skiff.js';
import { ensureTestUser } from '../helpers/users.js';
import { userStore } from '../helpers/engine.js';
import { api, startService } from '../helpers/api-service.js';
import { assertSuiteNetns } from '../helpers/netns.js';

interface Caller { name: string; store: Store; other: Store; prefix: string[] }
const callers: Caller[] = [];
let ctx: string;

function sk(c: Caller, args: string[], store = c.store) {
  const [cmd, ...rest] = [...c.prefix, `SKIFF_ROOT=${store.root}`, SKIFF, ...args];
  return spawnSync(cmd!, rest, { encoding: 'utf8', env: { ...process.env, SKIFF_ROOT: store.root }, timeout: 120_000 });
}

function ok(c: Caller, args: string[], store = c.store): string {
  const r = sk(c, args, store);
  if (r.status !== 0) throw new Error(`skiff ${args.join(' ')} → ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(f: () => T, good: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let v = f();
  while (!good(v) && Date.now() < end) {
    await sleep(200);
    v = f();
  }
  return v;
}

beforeAll(() => {
  assertSuiteNetns();
  ctx = mkdtempSync('/tmp/skiff-imghc-ctx-');
  chmodSync(ctx, 0o755);
  // USR1 (the image's STOPSIGNAL) ends it with 9, USR2 with 10; TERM would be ignored by a pid 1 shell.
  writeFileSync(join(ctx, 'Dockerfile'), [
    'FROM diamol/base',
    'HEALTHCHECK --interval=300ms --timeout=5s --retries=2 CMD test -f /tmp/ok',
    'STOPSIGNAL SIGUSR1',
    'CMD ["sh", "-c", "trap \'echo got-usr1; exit 9\' USR1; trap \'echo got-usr2; exit 10\' USR2; touch /tmp/ok; while true; do sleep 0.1; done"]',
  ].join('\n'));
  callers.push({ name: 'root', store: tempStore('skiff-imghc-'), other: tempStore('skiff-imghc-load-'), prefix: ['env'] });
  if (needRoot() === undefined && needUserns() === undefined) {
    const user = ensureTestUser(true);
    callers.push({
      name: 'rootless', store: userStore(user, 'skiff-imghc-user-'), other: userStore(user, 'skiff-imghc-uload-'),
      prefix: ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', 'env', '-i', `PATH=${process.env.PATH}`, `HOME=${user.home}`, `USER=${user.name}`],
    });
  }
}, 60_000);

afterAll(() => {
  for (const c of callers) {
    c.store.dispose();
    c.other.dispose();
  }
  rmSync(ctx, { recursive: true, force: true });
}, 120_000);

const conds = (mode: string) => (mode === 'root' ? [needRoot] : [needRoot, needUserns]);

describe.each(['root', 'rootless'])('an image\'s HEALTHCHECK and STOPSIGNAL (%s)', (mode) => {
  const caller = () => callers.find((c) => c.name === mode)!;

  itWhen(conds(mode), 'built, run: the probe runs, ps/inspect show it, stop sends STOPSIGNAL; flags override; save/load keeps both', async () => {
    const c = caller();
    const b = sk(c, ['build', '-q', '-t', 'lab/hc', ctx]);
    expect(b.status, b.stderr).toBe(0);
    expect(ok(c, ['image', 'inspect', '-f', '{{json .Config.Healthcheck}} {{.Config.StopSignal}}', 'lab/hc']).trim())
      .toBe('{"Test":["CMD-SHELL","test -f /tmp/ok"],"Interval":300000000,"Timeout":5000000000,"Retries":2} SIGUSR1');

    ok(c, ['run', '-d', '--network', 'none', '--name', 'hc1', 'lab/hc']);
    const status = (n: string, store = c.store) => ok(c, ['ps', '-a', '--filter', `name=${n}`, '--format', '{{.Status}}'], store).trim();
    expect(await until(() => status('hc1'), (s) => s.endsWith('(healthy)'), 20_000)).toMatch(/^Up .* \(healthy\)$/);
    ok(c, ['exec', 'hc1', 'rm', '/tmp/ok']);
    expect(await until(() => status('hc1'), (s) => s.endsWith('(unhealthy)'), 20_000)).toMatch(/^Up .* \(unhealthy\)$/);
    const h = JSON.parse(ok(c, ['inspect', '-f', '{{json .State.Health}}', 'hc1']));
    expect(h.Status).toBe('unhealthy');
    expect(h.Log.at(-1).ExitCode).toBe(1);
    // stop sends SIGUSR1: the trap ends it at once with 9 (no 10 s wait for a SIGKILL).
    const t0 = Date.now();
    ok(c, ['stop', 'hc1']);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(ok(c, ['inspect', '-f', '{{.State.ExitCode}}', 'hc1']).trim()).toBe('9');
    expect(ok(c, ['logs', 'hc1'])).toBe('got-usr1\n');

    // --stop-signal beats the image's; --no-healthcheck turns its probe off; --health-interval keeps its test.
    ok(c, ['run', '-d', '--network', 'none', '--name', 'hc2', '--stop-signal', 'SIGUSR2', '--no-healthcheck', 'lab/hc']);
    ok(c, ['create', '--network', 'none', '--name', 'hc3', '--health-interval', '1h', '--health-retries', '5', 'lab/hc']);
    expect(JSON.parse(ok(c, ['inspect', '-f', '{{json .Config.Healthcheck}}', 'hc3'])))
      .toEqual({ Test: ['CMD-SHELL', 'test -f /tmp/ok'], Interval: 3_600_000_000_000, Timeout: 5_000_000_000, Retries: 5 });
    await sleep(1500);
    expect(status('hc2')).toMatch(/^Up \d+ seconds?$|^Up Less than a second$/);
    expect(ok(c, ['inspect', '-f', '{{json .Config.Healthcheck}} {{json .State.Health}}', 'hc2']).trim()).toBe('{"Test":["NONE"]} null');
    ok(c, ['stop', 'hc2']);
    expect(ok(c, ['inspect', '-f', '{{.State.ExitCode}}', 'hc2']).trim()).toBe('10');
    ok(c, ['rm', '-f', 'hc1', 'hc2', 'hc3']);

    // The same image carried by save/load into another store.
    const tar = join(mkdtempSync('/tmp/skiff-imghc-tar-'), 'hc.tar');
    chmodSync(join(tar, '..'), 0o777);
    ok(c, ['save', '-o', tar, 'lab/hc']);
    ok(c, ['load', '-i', tar], c.other);
    rmSync(join(tar, '..'), { recursive: true, force: true });
    ok(c, ['run', '-d', '--network', 'none', '--name', 'hc4', 'lab/hc'], c.other);
    expect(await until(() => status('hc4', c.other), (s) => s.endsWith('(healthy)'), 20_000)).toMatch(/\(healthy\)$/);
    ok(c, ['stop', 'hc4'], c.other);
    expect(ok(c, ['inspect', '-f', '{{.State.ExitCode}}', 'hc4'], c.other).trim()).toBe('9');
    ok(c, ['rm', 'hc4'], c.other);
  }, 120_000);
});

describe('the Engine API\'s create overrides the image\'s HEALTHCHECK and STOPSIGNAL (root)', () => {
  itWhen([needRoot], 'Healthcheck {Test:[NONE]} (docker run --no-healthcheck) and StopSignal reach the container', async () => {
    const c = callers.find((x) => x.name === 'root')!;
    ok(c, ['build', '-q', '-t', 'lab/hc', ctx]);
    const svc = await startService(c.store.root);
    try {
      const create = (body: object, name: string) => api(svc.socket, 'POST', `/v1.50/containers/create?name=${name}`, { Image: 'lab/hc', HostConfig: { NetworkMode: 'none' }, ...body });
      const none = await create({ Healthcheck: { Test: ['NONE'] }, StopSignal: 'SIGUSR2' }, 'api1');
      expect(none.status, none.body).toBe(201);
      const plain = await create({}, 'api2');
      expect(plain.status, plain.body).toBe(201);
      for (const n of ['api1', 'api2']) expect((await api(svc.socket, 'POST', `/v1.50/containers/${n}/start`)).status).toBe(204);
      const inspect = async (n: string) => JSON.parse((await api(svc.socket, 'GET', `/v1.50/containers/${n}/json`)).body);
      expect(await until(() => ok(c, ['inspect', '-f', '{{.State.Health.Status}}', 'api2']).trim(), (s) => s === 'healthy', 20_000)).toBe('healthy');
      const i1 = await inspect('api1');
      expect(i1.Config.Healthcheck).toEqual({ Test: ['NONE'] });
      expect(i1.Config.StopSignal).toBe('SIGUSR2');
      expect(i1.State.Health).toBeUndefined();
      expect((await api(svc.socket, 'POST', '/v1.50/containers/api1/stop')).status).toBe(204);
      expect((await inspect('api1')).State.ExitCode).toBe(10);
      const bad = await create({ StopSignal: 'SIGBOGUS' }, 'api3');
      expect(bad.status).toBe(400);
      expect(bad.body).toContain('Invalid signal: SIGBOGUS');
      ok(c, ['rm', '-f', 'api1', 'api2']);
    } finally {
      await svc.stop();
    }
  }, 120_000);
});
