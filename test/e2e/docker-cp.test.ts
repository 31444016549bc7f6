// The container filesystem verbs through the real docker CLI against `skiff system service`:
// `docker cp` both ways (GET/HEAD/PUT /containers/{id}/archive with X-Docker-Container-Path-Stat),
// `docker diff` (/changes), `docker export` and `docker commit` (/commit) — docker 28 and Debian's
// 20.10, root and rootless; a container's `/evil -> /` link keeps docker cp inside it too.
import { afterAll, describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { itWhen, needCommand, needFile, needRoot, needUserns } from '../helpers/conditions.js';
import { assertSuiteNetns } from '../helpers/netns.js';
import { skiff, tempStore, type Store } from '../helpers/skiff.js';
import { userStore } from '../helpers/engine.js';
import { ensureTestUser, type TestUser } from '../helpers/users.js';
import { startService, type Service } from '../helpers/api-service.js';

const DOCKER28 = '/usr/local/bin/docker';
const DOCKER20 = '/usr/bin/docker';
const base = [needRoot, needCommand('umoci'), needCommand('curl')];

const stores: Store[] = [];
const services: Service[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of services) await s.stop();
  for (const s of stores) s.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Docker = (args: string[], input?: Buffer) => { status: number | null; stdout: string; stderr: string; raw: Buffer };

function dockerClient(bin: string, socket: string, user?: TestUser): Docker {
  const config = mkdtempSync('/tmp/skiff-docker-config-');
  dirs.push(config);
  if (user) chownSync(config, user.uid, user.gid);
  const env = { PATH: process.env.PATH!, HOME: user?.home ?? '/root', DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: config };
  return (args, input) => {
    const [c, a] = user ? ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', bin, ...args]] as const : [bin, args] as const;
    const r = spawnSync(c, [...a], { env, input, timeout: 120_000, maxBuffer: 256 << 20 });
    return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString(), raw: r.stdout };
  };
}

async function filesystemVerbs(docker: Docker, socket: string, work: string, user?: TestUser): Promise<void> {
  const own = (p: string) => (user ? chownSync(p, user.uid, user.gid) : undefined);
  const canary = `skiff-docker-cp-canary-${randomBytes(4).toString('hex')}`;
  writeFileSync(join('/tmp', canary), 'HOST\n');
  dirs.push(join('/tmp', canary));
  const name = `fs-${randomBytes(3).toString('hex')}`;
  const run = docker(['run', '-d', '--network', 'none', '--name', name, 'diamol/base', 'sh', '-c',
    `ln -s / /evil && mkdir -p /data && echo CONTAINER > /tmp/${canary} && echo orig > /data/f && sleep 300`]);
  expect(run.status, run.stderr).toBe(0);
  for (let i = 0; i < 50 && docker(['exec', name, 'test', '-e', '/data/f']).status !== 0; i++) spawnSync('sleep', ['0.1']);

  // Out: a file, a directory, a tar on stdout; through the link, the container's own /tmp.
  const dst = join(work, 'out');
  const got = docker(['cp', `${name}:/data`, dst]);
  expect(got.status, got.stderr).toBe(0);
  expect(readFileSync(join(dst, 'f'), 'utf8')).toBe('orig\n');
  const viaLink = docker(['cp', `${name}:/evil/tmp/${canary}`, '-']);
  expect(viaLink.status, viaLink.stderr).toBe(0);
  expect(spawnSync('tar', ['-xO'], { input: viaLink.raw }).stdout.toString()).toBe('CONTAINER\n');

  // In: to a path through the link; the host's /tmp is untouched, the container's has it.
  const src = join(work, `in-${canary}`);
  writeFileSync(src, 'from the host\n');
  own(src);
  const put = docker(['cp', src, `${name}:/evil/tmp/`]);
  expect(put.status, put.stderr).toBe(0);
  expect(existsSync(join('/tmp', `in-${canary}`))).toBe(false);
  expect(readFileSync(join('/tmp', canary), 'utf8')).toBe('HOST\n');
  expect(docker(['exec', name, 'cat', `/tmp/in-${canary}`]).stdout).toBe('from the host\n');

  // Docker's errors.
  const missing = docker(['cp', `${name}:/no/such`, dst]);
  expect(missing.status).toBe(1);
  // docker 28 prints the daemon's message; 20.10's CLI its own for a 404 on the stat (as against dockerd).
  expect(missing.stderr).toMatch(new RegExp(`Could not find the file /no/such in container ${name}|No such container:path: ${name}:/no/such`));

  // HEAD gives the stat header moby gives (asked as the service's owner: it answers no one else).
  const curl = ['curl', '-sI', '--unix-socket', socket, `http://skiff/v1.41/containers/${name}/archive?path=/evil`];
  const head = user ? spawnSync('setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', ...curl], { encoding: 'utf8' }) : spawnSync(curl[0]!, curl.slice(1), { encoding: 'utf8' });
  expect(head.stdout).toMatch(/^HTTP\/1.1 200/);
  const header = /x-docker-container-path-stat: (\S+)/i.exec(head.stdout)?.[1] ?? '';
  const stat = JSON.parse(Buffer.from(header, 'base64').toString());
  expect(stat).toMatchObject({ name: 'evil', linkTarget: '/' });
  expect(stat.mode & (1 << 27)).toBeTruthy();

  // diff, export, commit through the API.
  const diff = docker(['diff', name]);
  expect(diff.status, diff.stderr).toBe(0);
  expect(diff.stdout).toContain('A /data\nA /data/f\nA /evil\n');
  expect(diff.stdout).toContain(`A /tmp/in-${canary}\n`);
  const exported = docker(['export', name]);
  expect(exported.status, exported.stderr).toBe(0);
  const list = spawnSync('tar', ['-t'], { input: exported.raw, maxBuffer: 64 << 20 }).stdout.toString().split('\n');
  expect(list).toContain('data/f');
  expect(list).toContain('bin/sh');
  const tag = `docker-commit-${randomBytes(3).toString('hex')}:1`;
  const commit = docker(['commit', '-c', 'CMD ["cat", "/data/f"]', name, tag]);
  expect(commit.status, commit.stderr).toBe(0);
  expect(commit.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
  const again = docker(['run', '--rm', '--network', 'none', tag]);
  expect(again.stdout).toBe('orig\n');
  expect(docker(['rm', '-f', name]).status).toBe(0);
}

describe('docker cp, diff, export, commit through the service (root)', () => {
  itWhen([...base, needFile(DOCKER28), needFile(DOCKER20)], 'docker 28 and docker 20.10', async () => {
    assertSuiteNetns();
    const store = tempStore('skiff-e2e-cp-');
    stores.push(store);
    const lab = skiff(['lab', 'load'], { env: store.env, timeout: 280_000 });
    expect(lab.status, lab.stderr).toBe(0);
    const svc = await startService(store.root);
    services.push(svc);
    for (const bin of [DOCKER28, DOCKER20]) {
      const work = mkdtempSync('/tmp/skiff-e2e-cp-work-');
      dirs.push(work);
      await filesystemVerbs(dockerClient(bin, svc.socket), svc.socket, work).catch((e: Error) => {
        throw new Error(`${bin}: ${e.message}\nservice log:\n${svc.log()}`);
      });
    }
  }, 300_000);
});

describe('docker cp, diff, export, commit through the service (rootless)', () => {
  itWhen([...base, needUserns, needCommand('setpriv'), needFile(DOCKER28)], 'docker 28 against an ordinary user\'s service', async () => {
    assertSuiteNetns();
    const user = ensureTestUser(true);
    const store = userStore(user, 'skiff-e2e-cp-rl-');
    stores.push(store);
    const lab = spawnSync('setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', join(process.cwd(), 'bin/skiff'), 'lab', 'load'],
      { encoding: 'utf8', env: { PATH: process.env.PATH!, HOME: user.home, ...store.env }, timeout: 280_000 });
    expect(lab.status, lab.stderr).toBe(0);
    const svc = await startService(store.root, { user });
    services.push(svc);
    const work = mkdtempSync('/tmp/skiff-e2e-cp-work-');
    chownSync(work, user.uid, user.gid);
    dirs.push(work);
    await filesystemVerbs(dockerClient(DOCKER28, svc.socket, user), svc.socket, work, user).catch((e: Error) => {
      throw new Error(`${e.message}\nservice log:\n${svc.log()}`);
    });
  }, 300_000);
});
