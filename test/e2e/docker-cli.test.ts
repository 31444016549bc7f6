// The chapter's commands, verbatim, through the real docker CLI talking to `skiff system service`:
// docker 28 (on the machine) and Debian's docker.io 20.10 (API 1.41), as root and as an ordinary
// user whose service runs in its rootless engine namespace. Outputs are compared with what skiff's
// own CLI prints for the same store where Docker's formatting is the same.
import { afterAll, describe, expect } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needCommand, needFile, needRoot, needUserns } from '../helpers/conditions.js';
import { assertSuiteNetns } from '../helpers/netns.js';
import { allCapabilitiesMask } from '../helpers/capabilities.js';
import { skiff, type Store } from '../helpers/skiff.js';
import { userStore } from '../helpers/engine.js';
import { ensureTestUser, type TestUser } from '../helpers/users.js';
import { labService, startService, type Service } from '../helpers/api-service.js';

const DOCKER28 = '/usr/local/bin/docker';
const DOCKER20 = '/usr/bin/docker';
const base = [needRoot, needCommand('umoci'), needCommand('script')];

function get(url: string): string {
  return execFileSync(process.execPath, ['-e',
    `require('http').get(${JSON.stringify(url)},r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>console.log(r.statusCode+' '+b))}).on('error',e=>console.log('ERR '+e.code))`], { encoding: 'utf8', timeout: 15_000 }).trim();
}

interface Docker { (args: string[], input?: string): { status: number | null; stdout: string; stderr: string }; tty(cmd: string, input: string): { status: number | null; stdout: string } }

/** The CLI's config dirs, removed after the file's tests. */
const configs: string[] = [];
afterAll(() => {
  for (const c of configs) rmSync(c, { recursive: true, force: true });
});

function dockerClient(bin: string, socket: string, user?: TestUser): Docker {
  const config = mkdtempSync('/tmp/skiff-docker-config-');
  configs.push(config);
  if (user) chownSync(config, user.uid, user.gid);
  const env = { PATH: process.env.PATH!, HOME: user?.home ?? '/root', DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: config };
  const wrap = (cmd: string, args: string[]) => (user ? ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', cmd, ...args]] as const : [cmd, args] as const);
  const run: Docker = ((args: string[], input?: string) => {
    const [c, a] = wrap(bin, args);
    // SIGKILL on timeout: the docker CLI passes SIGTERM on to an attached container and stays.
    const r = spawnSync(c, [...a], { encoding: 'utf8', env, input, timeout: 120_000, killSignal: 'SIGKILL' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }) as Docker;
  run.tty = (cmd, input) => {
    // `script` gives the CLI a terminal, as a user typing the chapter's -it commands has.
    const [c, a] = wrap('script', ['-qec', `${bin} ${cmd}`, '/dev/null']);
    const r = spawnSync('sh', ['-c', `(sleep 2; printf '%s' "$IN"; sleep 2) | "$@"`, 'sh', c, ...a], { encoding: 'utf8', env: { ...env, IN: input }, timeout: 60_000 });
    return { status: r.status, stdout: r.stdout };
  };
  return run;
}

async function waitPage(url: string): Promise<string> {
  let page = '';
  for (let i = 0; i < 100 && !page.startsWith('200'); i++) {
    page = get(url);
    if (!page.startsWith('200')) await new Promise((r) => setTimeout(r, 100));
  }
  return page;
}

/** Every command of the README's chapter list, as `docker …`. */
async function chapter(docker: Docker, port: number, skiffEnv: Record<string, string>, skiffCli: (args: string[]) => string): Promise<void> {
  const hello = docker(['container', 'run', 'diamol/ch02-hello-diamol']);
  expect(hello.stderr).toBe('');
  expect(hello.status).toBe(0);
  expect(hello.stdout).toContain('Hello from Chapter 2!');
  expect(hello.stdout).toMatch(/My name is:\n[0-9a-f]{12}\n/);

  const it = docker.tty('container run --interactive --tty diamol/base', 'hostname; exit 5\r');
  expect(it.status).toBe(5);
  expect(it.stdout).toMatch(/\n[0-9a-f]{12}\r?\n/);

  const run = docker(['container', 'run', '--detach', '--publish', `${port}:80`, 'diamol/ch02-hello-diamol-web']);
  expect(run.stderr).toBe('');
  const id = run.stdout.trim();
  expect(id).toMatch(/^[0-9a-f]{64}$/);
  const page = await waitPage(`http://127.0.0.1:${port}/`);
  expect(page).toMatch(/^200 /);
  expect(page).toContain('Hello from Chapter 2!');

  const ls = docker(['container', 'ls', '--all']);
  expect(ls.stdout.split('\n')[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
  expect(ls.stdout).toContain(`0.0.0.0:${port}->80/tcp`);
  expect(ls.stdout).toContain(id.slice(0, 12));
  expect(ls.stdout).toMatch(/Exited \(0\)/);
  // the same store through skiff's own CLI: the same rows
  const mine = skiffCli(['container', 'ls', '--all', '--format', '{{.ID}} {{.Image}} {{.Command}} {{.Ports}} {{.Names}}']);
  const theirs = docker(['container', 'ls', '--all', '--format', '{{.ID}} {{.Image}} {{.Command}} {{.Ports}} {{.Names}}']).stdout;
  expect(theirs).toBe(mine);

  const logs = docker(['container', 'logs', id]);
  expect(logs.status).toBe(0);
  expect(logs.stdout + logs.stderr).toContain('GET / HTTP/1.1');
  const inspect = JSON.parse(docker(['container', 'inspect', id]).stdout) as Array<{ Id: string; State: { Running: boolean }; Config: { Tty: boolean } }>;
  expect(inspect[0]!.Id).toBe(id);
  expect(inspect[0]!.State.Running).toBe(true);
  const stats = docker(['container', 'stats', '--no-stream']);
  expect(stats.status).toBe(0);
  expect(stats.stdout).toContain(id.slice(0, 12));

  const exec = docker(['exec', id, 'sh', '-c', 'echo edited > /usr/local/apache2/htdocs/index.html; echo done']);
  expect(exec.stdout).toBe('done\n');
  // Every byte an exec wrote reaches the client, however fast it exits (the stream ends after the data, not at the exit).
  for (let i = 0; i < 5; i++) {
    const big = docker(['exec', id, 'sh', '-c', 'head -c 1000000 /dev/zero | tr "\\0" a; echo; echo tail >&2']);
    expect([big.stdout.length, big.stderr]).toEqual([1000001, 'tail\n']);
  }
  expect(await waitPage(`http://127.0.0.1:${port}/`)).toBe('200 edited');
  const execIt = docker.tty(`exec -it ${id} sh`, 'cat /usr/local/apache2/htdocs/index.html; exit 3\r');
  expect(execIt.status).toBe(3);
  expect(execIt.stdout).toContain('edited');

  const all = docker(['container', 'ls', '--all', '--quiet']).stdout.trim().split('\n');
  expect(all.length).toBe(3);
  const rm = docker(['container', 'rm', '--force', ...all]);
  expect(rm.status).toBe(0);
  expect(docker(['container', 'ls', '--all', '--quiet']).stdout).toBe('');
  expect(get(`http://127.0.0.1:${port}/`)).toMatch(/^ERR/);

  const images = docker(['images']);
  expect(images.stdout).toBe(skiffCli(['images']));
  const pull = docker(['pull', 'nginx:1.22.1']);
  expect(pull.status).toBe(0);
  expect(pull.stdout).toContain('1.22.1: Pulling from library/nginx');
  expect(pull.stdout).toMatch(/Digest: sha256:[0-9a-f]{64}/);
  const rmi = docker(['rmi', 'nginx:1.22.1']);
  expect(rmi.stdout).toBe('Untagged: nginx:1.22.1\n');
  expect(docker(['rmi', 'nginx:1.22.1']).stderr).toContain('No such image: nginx:1.22.1');
  const version = docker(['version', '--format', '{{.Server.Version}} {{.Server.Os}}']);
  expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+ linux$/);
  void skiffEnv;
}

describe('the chapter through the docker CLI (root)', () => {
  const lab = labService('skiff-e2e-docker-', base);
  const cli = (args: string[]) => skiff(args, { env: lab.store.env }).stdout;

  itWhen([...base, needFile(DOCKER28)], 'docker 28 (API 1.50)', async () => {
    await chapter(dockerClient(DOCKER28, lab.svc.socket), 8091, lab.store.env, cli);
  });
  itWhen([...base, needFile(DOCKER20)], 'Debian\'s docker 20.10 (API 1.41)', async () => {
    skiff(['pull', 'nginx:1.22.1'], { env: lab.store.env });
    await chapter(dockerClient(DOCKER20, lab.svc.socket), 8092, lab.store.env, cli);
  });
  itWhen([...base, needFile(DOCKER28)], 'bad requests get moby\'s messages through the CLI', async () => {
    const docker = dockerClient(DOCKER28, lab.svc.socket);
    const gone = docker(['logs', 'nope']);
    expect(gone.status).toBe(1);
    expect(gone.stderr.trim()).toBe('Error response from daemon: No such container: nope');
    // A create field skiff does not implement is refused by name, never dropped; --privileged is applied.
    const link = docker(['run', '--rm', '--link', 'other:alias', 'diamol/base', 'true']);
    expect(link.status).toBe(125);
    expect(link.stderr).toContain('HostConfig.Links');
    const priv = docker(['run', '--rm', '--privileged', 'diamol/base', 'sh', '-c', 'grep CapEff /proc/self/status']);
    expect(priv.stderr).toBe('');
    expect(BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(priv.stdout)?.[1] ?? '0'}`)).toBe(allCapabilitiesMask());
    expect(docker(['create', '--name', 'dup', 'diamol/base']).status).toBe(0);
    const dup = docker(['create', '--name', 'dup', 'diamol/base']);
    expect(dup.status).toBe(1);
    expect(dup.stderr).toContain('dup');
    expect(docker(['rm', 'dup']).status).toBe(0);
    // A --rm container whose start fails is removed by the engine (as moby does): `docker run --rm`
    // waits for that removal before it reports the error and exits 127.
    const missing = docker(['run', '--rm', 'diamol/base', '/no/such/program']);
    expect(missing.status).toBe(127);
    expect(missing.stderr).toContain('/no/such/program');
    expect(docker(['ps', '-aq']).stdout).toBe('');
  });
  itWhen([...base, needFile(DOCKER28)], 'docker run --mount: bind, volume and tmpfs with their options', async () => {
    const docker = dockerClient(DOCKER28, lab.svc.socket);
    const dir = mkdtempSync('/tmp/skiff-e2e-mount-');
    try {
      writeFileSync(join(dir, 'f'), 'from the host\n');
      const bind = docker(['run', '--rm', '--mount', `type=bind,source=${dir},target=/data,readonly,bind-propagation=rslave`, 'diamol/base',
        'sh', '-c', 'cat /data/f; touch /data/x 2>/dev/null || echo read-only; grep " /data " /proc/self/mountinfo']);
      expect(bind.stderr).toBe('');
      expect(bind.status).toBe(0);
      const [content, ro, info] = bind.stdout.split('\n');
      expect([content, ro]).toEqual(['from the host', 'read-only']);
      expect(info).toMatch(/ ro[, ]/);
      // rslave: the container's mount receives the host's (a master: tag) unless the host side is private.
      const made = docker(['create', '--mount', `type=bind,source=${dir},target=/data,bind-propagation=rslave`, 'diamol/base', 'true']);
      expect(made.status).toBe(0);
      const mounts = JSON.parse(docker(['inspect', '-f', '{{json .HostConfig.Mounts}}', made.stdout.trim()]).stdout) as unknown;
      expect(mounts).toEqual([{ Type: 'bind', Source: dir, Target: '/data', BindOptions: { Propagation: 'rslave' } }]);
      expect(docker(['rm', made.stdout.trim()]).status).toBe(0);

      const vol = docker(['run', '--rm', '--mount', 'type=volume,source=mnt12,target=/v,volume-nocopy,volume-label=team=a', 'diamol/base', 'sh', '-c', 'echo kept > /v/f']);
      expect(vol.stderr).toBe('');
      expect(vol.status).toBe(0);
      expect(docker(['volume', 'inspect', '-f', '{{json .Labels}}', 'mnt12']).stdout.trim()).toBe('{"team":"a"}');
      expect(docker(['run', '--rm', '--mount', 'source=mnt12,target=/v,readonly', 'diamol/base', 'cat', '/v/f']).stdout).toBe('kept\n');
      expect(docker(['volume', 'rm', 'mnt12']).status).toBe(0);

      const tmpfs = docker(['run', '--rm', '--mount', 'type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770', 'diamol/base', 'sh', '-c', 'stat -c %a /t; grep " /t " /proc/mounts']);
      expect(tmpfs.stderr).toBe('');
      const [mode, line] = tmpfs.stdout.split('\n');
      expect(mode).toBe('1770');
      expect(line).toMatch(/^tmpfs \/t tmpfs \S*size=1024k/);
      expect(line).toMatch(/nosuid,nodev,noexec/);

      const nonrec = docker(['run', '--rm', '--mount', `type=bind,source=${dir},target=/data,bind-nonrecursive`, 'diamol/base', 'cat', '/data/f']);
      expect(nonrec.stderr).toBe('');
      expect(nonrec.stdout).toBe('from the host\n');
      // What skiff does not implement is refused by name, as a usage error (exit 125), before anything exists.
      const subpath = docker(['run', '--rm', '--mount', 'type=volume,source=mnt12s,target=/data,volume-subpath=a', 'diamol/base', 'true']);
      expect(subpath.status).toBe(125);
      expect(subpath.stderr).toContain('skiff does not support HostConfig.Mounts[0].VolumeOptions.Subpath yet');
      const missing = docker(['run', '--rm', '--mount', 'type=bind,source=/nonexistent-12,target=/data', 'diamol/base', 'true']);
      expect(missing.status).toBe(125);
      expect(missing.stderr).toContain('invalid mount config for type "bind": bind source path does not exist: /nonexistent-12');
      expect(docker(['ps', '-aq']).stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the chapter through the docker CLI (rootless)', () => {
  let store: Store | undefined;
  let svc: Service | undefined;
  let user: TestUser | undefined;
  afterAll(async () => {
    await svc?.stop();
    store?.dispose();
  });
  itWhen([...base, needUserns, needCommand('setpriv'), needCommand('slirp4netns'), needFile(DOCKER28)], 'docker 28 against an ordinary user\'s service', async () => {
    assertSuiteNetns();
    user = ensureTestUser(true);
    store = userStore(user, 'skiff-e2e-docker-rl-');
    const u = user;
    const env = store.env;
    const asUser = (args: string[]) => spawnSync('setpriv', [`--reuid=${u.uid}`, `--regid=${u.gid}`, '--init-groups', '--', join(process.cwd(), 'bin/skiff'), ...args],
      { encoding: 'utf8', env: { PATH: process.env.PATH!, HOME: u.home, ...env }, timeout: 280_000 });
    expect(asUser(['lab', 'load']).status).toBe(0);
    svc = await startService(store.root, { user: u });
    await chapter(dockerClient(DOCKER28, svc.socket, u), 8093, env, (args) => asUser(args).stdout);
  });
});
