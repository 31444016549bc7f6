// The image family through the real docker CLI talking to `skiff system service`, side by side with
// skiff's own CLI on the same store: `images` (--format, -q, --digests), `history`, `image inspect`,
// `save | load` both ways, `push` to a loopback registry that demands token auth (after `docker login`)
// and pull back with X-Registry-Auth, and the chapter's `httpd` and `nginx:1.28.0` running offline.
// Root and rootless (an ordinary user's service in its engine namespace). Network rule: the registry
// and the published ports are on loopback inside the suite's own network namespace.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needCommand, needFile, needRoot, needUserns } from '../helpers/conditions.js';
import { assertSuiteNetns } from '../helpers/netns.js';
import { skiff, tempStore, type Store } from '../helpers/skiff.js';
import { userStore } from '../helpers/engine.js';
import { ensureTestUser, type TestUser } from '../helpers/users.js';
import { startService, type Service } from '../helpers/api-service.js';
import { startRegistry, type Registry } from '../helpers/registry.js';

const DOCKER = '/usr/local/bin/docker';
const base = [needRoot, needCommand('umoci'), needFile(DOCKER)];

type Run = (args: string[], input?: string) => { status: number | null; stdout: string; stderr: string };

const configs: string[] = [];
afterAll(() => {
  for (const c of configs) rmSync(c, { recursive: true, force: true });
});

function wrap(user: TestUser | undefined, cmd: string, args: string[]): [string, string[]] {
  return user ? ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', cmd, ...args]] : [cmd, args];
}

function dockerEnv(socket: string, user?: TestUser): Record<string, string> {
  const config = mkdtempSync('/tmp/skiff-docker-config-');
  configs.push(config);
  if (user) chownSync(config, user.uid, user.gid);
  return { PATH: process.env.PATH!, HOME: user?.home ?? '/root', DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: config, TZ: 'UTC' };
}

function dockerClient(socket: string, user?: TestUser): Run {
  const env = dockerEnv(socket, user);
  return (args, input) => {
    const [c, a] = wrap(user, DOCKER, args);
    const r = spawnSync(c, a, { encoding: 'utf8', env, input, timeout: 180_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
}

type AsyncRun = (args: string[], input?: string) => Promise<{ status: number | null; stdout: string; stderr: string }>;

/** The docker CLI without blocking this process: the registry's token server runs in it and must answer. */
function dockerAsync(socket: string): AsyncRun {
  const env = dockerEnv(socket);
  return (args, input) => new Promise((resolve) => {
    const child = spawn(DOCKER, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

function skiffClient(env: Record<string, string>, user?: TestUser): Run {
  return (args, input) => {
    const [c, a] = wrap(user, join(process.cwd(), 'bin/skiff'), args);
    const r = spawnSync(c, a, { encoding: 'utf8', input, timeout: 280_000, env: { PATH: process.env.PATH!, HOME: user?.home ?? '/root', TZ: 'UTC', ...env } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
}

function get(url: string): string {
  return execFileSync(process.execPath, ['-e',
    `require('http').get(${JSON.stringify(url)},r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>console.log(r.statusCode+' '+b))}).on('error',e=>console.log('ERR '+e.code))`], { encoding: 'utf8', timeout: 15_000 }).trim();
}

async function waitPage(url: string): Promise<string> {
  let page = '';
  for (let i = 0; i < 100 && !page.startsWith('200'); i++) {
    page = get(url);
    if (!page.startsWith('200')) await new Promise((r) => setTimeout(r, 100));
  }
  return page;
}

/** What both CLIs print the same (the docker CLI formats what the API answers; skiff formats its store). */
function sameListings(docker: Run, mine: Run): void {
  const cases: string[][] = [
    ['images'], ['images', '-q'], ['images', '--no-trunc'], ['images', '--digests'], ['image', 'ls', 'nginx'],
    ['images', '--format', '{{.Repository}}:{{.Tag}}'], ['images', '--format', 'table {{.ID}}\t{{.Size}}\t{{.CreatedAt}}'],
    ['images', '--format', '{{json .}}'], ['images', '--format', 'json'], ['images', '--format', '{{.Digest}} {{.VirtualSize}}'],
    ['history', 'nginx:1.28.0'], ['image', 'history', '--no-trunc', 'httpd'], ['history', '-H=false', 'httpd'], ['history', '-q', 'diamol/base'],
    ['history', '--format', '{{json .}}', 'diamol/ch02-hello-diamol'], ['history', '--format', 'table {{.ID}}\t{{.CreatedAt}}\t{{.Size}}', 'httpd'],
  ];
  for (const c of cases) {
    const theirs = docker(c);
    expect(theirs.status, `docker ${c.join(' ')}: ${theirs.stderr}`).toBe(0);
    expect(mine(c).stdout, `skiff ${c.join(' ')}`).toBe(theirs.stdout);
  }
  // -q is one line per tag, as Docker: nginx has three tags on one image.
  const nginxId = docker(['images', '-q', 'nginx']).stdout.trim().split('\n');
  expect(nginxId).toHaveLength(3);
  expect(new Set(nginxId).size).toBe(1);
  // history: the newest entry carries the id, older ones <missing>; sizes are the layers' unpacked sizes.
  const hist = docker(['history', '--format', '{{.ID}} {{.Size}} {{.CreatedBy}}', 'httpd']).stdout.trim().split('\n');
  expect(hist).toHaveLength(4);
  expect(hist[0]).toMatch(/^[0-9a-f]{12} 45B COPY htdocs\/index.html/);
  expect(hist.slice(1).every((l) => l.startsWith('<missing> '))).toBe(true);
}

/** The whole family, over files (the docker CLI's `-o`/`-i`), as the given user. */
async function family(docker: Run, mine: Run, tmp: string, ports: [number, number]): Promise<void> {
  // The chapter's images: nginx:1.28.0 is Debian's nginx, and the pull says so in one line.
  const pull = docker(['pull', 'nginx:1.28.0']);
  expect(pull.status, pull.stderr).toBe(0);
  expect(pull.stdout).toMatch(/^Note: Debian 12's nginx \d+\.\d+\.\d+ stands in for nginx:1\.28\.0/m);
  expect(docker(['image', 'inspect', '-f', '{{index .Config.Labels "io.skiff.lab.stands-in-for"}}', 'nginx:1.28.0']).stdout.trim()).toBe('nginx:1.28.0');
  expect(mine(['image', 'inspect', '-f', '{{index .Config.Labels "io.skiff.lab.note"}}', 'nginx:1.28.0']).stdout).toContain('stands in for nginx:1.28.0');
  expect(docker(['pull', 'httpd']).status).toBe(0);

  sameListings(docker, mine);

  // image inspect: the same document through both doors, in moby's shape.
  const viaApi = JSON.parse(docker(['image', 'inspect', 'httpd']).stdout) as Record<string, unknown>[];
  const viaCli = JSON.parse(mine(['image', 'inspect', 'httpd']).stdout) as Record<string, unknown>[];
  expect(viaApi).toEqual(viaCli);
  expect(Object.keys(viaApi[0]!)).toEqual(expect.arrayContaining(['Id', 'RepoTags', 'RepoDigests', 'Parent', 'Comment', 'Created', 'DockerVersion', 'Author', 'Config', 'Architecture', 'Os', 'Size', 'GraphDriver', 'RootFS', 'Metadata']));
  expect(viaApi[0]!.Size).toBeGreaterThan(20e6); // unpacked, not the 9 MB of gzip

  // docker save → docker rmi → docker load, then skiff save → docker load and docker save → skiff load.
  const tar = join(tmp, 'images.tar');
  expect(docker(['save', '-o', tar, 'httpd', 'nginx:1.28.0']).status).toBe(0);
  const ids = docker(['images', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}', 'httpd']).stdout;
  expect(docker(['rmi', 'httpd', 'nginx:1.28.0']).status).toBe(0);
  const load = docker(['load', '-i', tar]);
  expect(load.status, load.stderr).toBe(0);
  expect(load.stdout).toBe('Loaded image: httpd:latest\nLoaded image: nginx:1.28.0\n');
  expect(docker(['images', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}', 'httpd']).stdout).toBe(ids);
  const mineTar = join(tmp, 'mine.tar');
  expect(mine(['save', '-o', mineTar, 'diamol/base']).status).toBe(0);
  expect(docker(['rmi', 'diamol/base']).status).toBe(0);
  expect(docker(['load', '-q', '-i', mineTar]).stdout).toBe('Loaded image: diamol/base:latest\n');
  expect(mine(['rmi', 'httpd']).status).toBe(0);
  expect(mine(['load', '-i', tar]).stdout).toContain('Loaded image: httpd:latest');
  // a bad archive: exit 1 and one line, nothing half-made
  const bad = docker(['load'], 'not a tar');
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/not a valid tar file/);
  expect(docker(['save', 'nope:1']).stderr.trim()).toBe('Error response from daemon: No such image: nope:1');

  // run both chapter images, answering on loopback
  const ng = docker(['run', '-d', '-p', `${ports[0]}:80`, 'nginx:1.28.0']);
  expect(ng.status, ng.stderr).toBe(0);
  const hd = docker(['run', '-d', '-p', `${ports[1]}:80`, 'httpd']);
  expect(hd.status, hd.stderr).toBe(0);
  expect(await waitPage(`http://127.0.0.1:${ports[0]}/`)).toContain('Welcome to nginx!');
  expect(await waitPage(`http://127.0.0.1:${ports[1]}/`)).toBe('200 <html><body><h1>It works!</h1></body></html>');
  expect(docker(['rm', '-f', ng.stdout.trim(), hd.stdout.trim()]).status).toBe(0);

  // prune and delete answer moby's shapes (the CLI prints them)
  const prune = docker(['image', 'prune', '-f']);
  expect(prune.status).toBe(0);
  expect(prune.stdout).toMatch(/^Total reclaimed space: /m);
}

describe('the image family through the docker CLI (root)', () => {
  let store: Store | undefined;
  let svc: Service | undefined;
  let reg: Registry | undefined;
  let tmp: string | undefined;
  beforeAll(async () => {
    if (base.some((c) => c())) return;
    assertSuiteNetns();
    store = tempStore('skiff-e2e-images-');
    tmp = mkdtempSync('/tmp/skiff-e2e-images-tar-');
    const lab = skiff(['lab', 'load'], { env: store.env, timeout: 280_000 });
    if (lab.status !== 0) throw new Error(`lab load failed: ${lab.stderr}`);
    svc = await startService(store.root);
  }, 300_000);
  afterAll(async () => {
    await svc?.stop();
    await reg?.stop();
    store?.dispose();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  itWhen(base, 'images, history, inspect, save/load and the chapter\'s httpd and nginx:1.28.0 match skiff\'s CLI', async () => {
    await family(dockerClient(svc!.socket), skiffClient(store!.env), tmp!, [8096, 8097]);
  }, 300_000);

  itWhen([...base, needFile('/usr/bin/docker-registry'), needCommand('skopeo'), needCommand('openssl')], 'docker login + push to a token-auth registry, then pull back with X-Registry-Auth', async () => {
    reg = await startRegistry({ kind: 'token', user: 'alice', password: 's3cret' });
    const docker = dockerAsync(svc!.socket);
    const target = `${reg.host}/me/base:v1`;
    expect((await docker(['tag', 'diamol/base', target])).status).toBe(0);
    const anon = await docker(['push', target]);
    expect(anon.status).toBe(1);
    expect(anon.stdout + anon.stderr).toMatch(/authentication required|login|refused to issue a token/);
    const wrong = await docker(['login', '-u', 'alice', '--password-stdin', reg.host], 'nope');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('login attempt');
    const login = await docker(['login', '-u', 'alice', '--password-stdin', reg.host], 's3cret');
    expect(login.status, login.stderr).toBe(0);
    expect(login.stdout).toContain('Login Succeeded');
    const push = await docker(['push', target]);
    expect(push.status, push.stderr).toBe(0);
    expect(push.stdout).toContain(`The push refers to repository [${reg.host}/me/base]`);
    const m = /^v1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(push.stdout);
    expect(m, push.stdout).not.toBeNull();
    const inspected = await promisify(execFile)('skopeo', ['inspect', '--tls-verify=false', '--creds', 'alice:s3cret', '--format', '{{.Digest}}', `docker://${target}`]);
    expect(inspected.stdout.trim()).toBe(m![1]);
    // again: every layer is already there
    expect((await docker(['push', target])).stdout).toMatch(/Layer already exists/);
    // pull back: the CLI sends the stored login as X-Registry-Auth (skiff's own store has none)
    expect((await docker(['rmi', target])).status).toBe(0);
    const pull = await docker(['pull', target]);
    expect(pull.status, pull.stderr).toBe(0);
    expect(pull.stdout).toContain(`Digest: ${m![1]}`);
    expect(skiff(['images', '--format', '{{.Repository}}:{{.Tag}}', `${reg.host}/me/base`], { env: store!.env }).stdout).toBe(`${target}\n`);
  }, 300_000);
});

describe('the image family through the docker CLI (rootless)', () => {
  let store: Store | undefined;
  let svc: Service | undefined;
  let tmp: string | undefined;
  afterAll(async () => {
    await svc?.stop();
    store?.dispose();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });
  itWhen([...base, needUserns, needCommand('setpriv'), needCommand('slirp4netns')], 'an ordinary user\'s service: the same listings, save/load and the chapter\'s images', async () => {
    assertSuiteNetns();
    const user = ensureTestUser(true);
    store = userStore(user, 'skiff-e2e-images-rl-');
    tmp = mkdtempSync('/tmp/skiff-e2e-images-rl-tar-');
    chownSync(tmp, user.uid, user.gid);
    const mine = skiffClient(store.env, user);
    const lab = mine(['lab', 'load']);
    expect(lab.status, lab.stderr).toBe(0);
    svc = await startService(store.root, { user });
    await family(dockerClient(svc.socket, user), mine, tmp, [8098, 8099]);
  }, 400_000);
});
