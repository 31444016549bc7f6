// The read-side verbs through the real CLI (bin/skiff), over records made with the store API.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { SKIFF, skiff, tempStore, type Store } from '../helpers/skiff.js';
import { appendLog, backdate, exitedContainer, killSleepers, runningContainer, spec, useStore } from '../helpers/fake-containers.js';
import { containerDir, createContainer, listContainerIds, updateState } from '../../src/state/containers.js';
import { isProcessAlive } from '../../src/kernel/process-identity.js';
import { storePaths } from '../../src/state/paths.js';

let store: Store;
const ps = (...args: string[]) => skiff(['ps', ...args], { env: store.env });

beforeAll(() => {
  store = tempStore();
  useStore(store.root);
});
afterAll(() => {
  killSleepers();
  store.dispose();
});
beforeEach(() => {
  killSleepers();
  rmSync(storePaths().containers, { recursive: true, force: true });
  rmSync(storePaths().data + '/container-names', { recursive: true, force: true });
});

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

describe('ps', () => {
  it('prints the chapter\'s table for exited containers with -a and only running ones without', async () => {
    const a = await exitedContainer(0, { Name: 'nice_lichterman' }, ago(20 * 60_000), ago(19 * 60_000 + 5_000));
    backdate(a.config.Id, ago(20 * 60_000 + 5_000));
    const b = await exitedContainer(127, { Name: 'quirky_hugle', Path: '/bin/sh', Args: [], ImageRef: 'diamol/base' }, ago(8 * 60_000), ago(3 * 60_000 + 5_000));
    backdate(b.config.Id, ago(8 * 60_000 + 5_000));
    const r = await runningContainer({ Name: 'web', ImageRef: 'diamol/ch02-hello-diamol-web', Path: '/docker-entrypoint.sh', Args: ['nginx', '-g', 'daemon off;'] }, ago(2 * 60_000 + 5_000));
    backdate(r.config.Id, ago(2 * 60_000 + 6_000));
    await updateState(r.config.Id, (s) => ({ ...s, NetworkSettings: { ...s.NetworkSettings, Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8088' }] } } }));
    const all = ps('-a');
    expect(all.status).toBe(0);
    expect(all.stdout).toBe([
      'CONTAINER ID   IMAGE                          COMMAND                  CREATED          STATUS                       PORTS                  NAMES',
      `${r.config.Id.slice(0, 12)}   diamol/ch02-hello-diamol-web   "/docker-entrypoint.…"   2 minutes ago    Up 2 minutes                 0.0.0.0:8088->80/tcp   web`,
      `${b.config.Id.slice(0, 12)}   diamol/base                    "/bin/sh"                8 minutes ago    Exited (127) 3 minutes ago                          quirky_hugle`,
      `${a.config.Id.slice(0, 12)}   diamol/ch02-hello-diamol       "/bin/sh -c ./cmd.sh"    20 minutes ago   Exited (0) 19 minutes ago                           nice_lichterman`,
    ].join('\n') + '\n');
    const running = ps();
    expect(running.stdout.split('\n').filter(Boolean)).toHaveLength(2);
    expect(running.stdout).toContain(' web\n');
    // `container ls --all` and `container list -a` are the same verb.
    expect(skiff(['container', 'ls', '--all'], { env: store.env }).stdout).toBe(all.stdout);
    expect(skiff(['container', 'list', '-a'], { env: store.env }).stdout).toBe(all.stdout);
  });

  it('-q, --no-trunc, -n, -l, filters and --format', async () => {
    const a = await exitedContainer(0, { Name: 'alpha' }, ago(3 * 3600_000), ago(2 * 3600_000));
    const b = await exitedContainer(1, { Name: 'beta' }, ago(3 * 3600_000), ago(50 * 60_000));
    const c = await runningContainer({ Name: 'gamma', Config: { ...spec().Config, Labels: { tier: 'web' } } }, ago(3 * 3600_000));
    // Creation times far enough back that CREATED reads the same in every call below.
    for (const [x, h] of [[a, 5], [b, 4], [c, 3]] as const) backdate(x.config.Id, ago(h * 3600_000 + 5 * 60_000));
    const short = (x: { config: { Id: string } }) => x.config.Id.slice(0, 12);
    expect(ps('-aq').stdout).toBe(`${short(c)}\n${short(b)}\n${short(a)}\n`);
    expect(ps('-q').stdout).toBe(`${short(c)}\n`);
    expect(ps('-aq', '--no-trunc').stdout).toBe(`${c.config.Id}\n${b.config.Id}\n${a.config.Id}\n`);
    expect(ps('-q', '-n', '2').stdout).toBe(`${short(c)}\n${short(b)}\n`);
    expect(ps('-q', '-l').stdout).toBe(`${short(c)}\n`);
    expect(ps('-q', '-f', 'status=exited').stdout).toBe(`${short(b)}\n${short(a)}\n`);
    expect(ps('-q', '-f', 'status=exited', '-f', 'status=running').stdout).toBe(`${short(c)}\n${short(b)}\n${short(a)}\n`);
    expect(ps('-aq', '-f', 'name=^al').stdout).toBe(`${short(a)}\n`);
    expect(ps('-aq', '-f', `id=${a.config.Id.slice(0, 5)}`).stdout).toBe(`${short(a)}\n`);
    expect(ps('-aq', '-f', 'exited=1').stdout).toBe(`${short(b)}\n`);
    expect(ps('-aq', '-f', 'label=tier=web').stdout).toBe(`${short(c)}\n`);
    expect(ps('-aq', '-f', 'status=exited', '-f', 'name=beta').stdout).toBe(`${short(b)}\n`);
    expect(ps('-a', '--format', '{{.Names}} {{.State}} {{.Status}}').stdout).toBe('gamma running Up 3 hours\nbeta exited Exited (1) 50 minutes ago\nalpha exited Exited (0) 2 hours ago\n');
    expect(ps('-a', '--format', 'table {{.ID}}\\t{{.Names}}').stdout).toBe(
      `CONTAINER ID   NAMES\n${short(c)}   gamma\n${short(b)}   beta\n${short(a)}   alpha\n`,
    );
    const json = JSON.parse(ps('--format', '{{json .}}').stdout);
    expect(json).toMatchObject({ ID: short(c), Names: 'gamma', State: 'running', Image: 'diamol/ch02-hello-diamol', Command: '"/bin/sh -c ./cmd.sh"', Labels: 'tier=web', Networks: 'bridge' });
    expect(Object.keys(json)).toEqual([...Object.keys(json)].sort());
    expect(JSON.parse(ps('--format', 'json').stdout)).toEqual(json);
  });

  it('bad filters and templates are usage errors', async () => {
    const bad = ps('-f', 'status=sleeping');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("invalid filter 'status=sleeping'");
    expect(ps('-f', 'colour=red').stderr).toContain("invalid filter 'colour'");
    const t = ps('--format', '{{.Nope}}', '-a');
    await exitedContainer(0);
    const t2 = ps('--format', '{{.Nope}}', '-a');
    expect(t.status).toBe(0); // nothing to render yet
    expect(t2.status).toBe(1);
    expect(t2.stderr).toContain("can't evaluate field Nope");
  });

  it('a container whose process was killed -9 shows as exited', async () => {
    const r = await runningContainer({ Name: 'victim' });
    expect(ps('--format', '{{.Names}}').stdout).toBe('victim\n');
    r.sleeper.child.kill('SIGKILL');
    await new Promise((res) => r.sleeper.child.once('exit', res));
    expect(ps('--format', '{{.Names}}').stdout).toBe('');
    expect(ps('-a', '--format', '{{.Names}} {{.Status}}').stdout).toMatch(/^victim Exited \(255\) (Less than a second|\d+ seconds?) ago\n$/);
  });
});

describe('inspect', () => {
  it('prints a Docker-shaped JSON array, by name, id and prefix', async () => {
    const r = await runningContainer({ Name: 'insp', HostConfig: { ...spec().HostConfig, Binds: ['/srv/data:/data:ro'] } });
    const out = skiff(['container', 'inspect', 'insp'], { env: store.env });
    expect(out.status).toBe(0);
    expect(out.stdout.startsWith('[\n    {\n        "Id": "')).toBe(true);
    const [j] = JSON.parse(out.stdout);
    expect(j).toMatchObject({
      Id: r.config.Id, Path: '/bin/sh', Args: ['-c', './cmd.sh'], Name: '/insp', RestartCount: 0, Image: spec().Image,
      State: { Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: r.sleeper.pid, ExitCode: 0, Error: '' },
      Config: { Hostname: 'c0ffee', WorkingDir: '/diamol', Cmd: ['/bin/sh', '-c', './cmd.sh'], Entrypoint: null, Image: 'diamol/ch02-hello-diamol' },
      HostConfig: { NetworkMode: 'default', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } },
      GraphDriver: { Name: 'overlay2' },
      Mounts: [{ Type: 'bind', Source: '/srv/data', Destination: '/data', Mode: 'ro', RW: false, Propagation: 'rprivate' }],
      NetworkSettings: { IPAddress: '', Networks: { bridge: { IPAddress: '' } } },
    });
    expect(Object.keys(j).slice(0, 5)).toEqual(['Id', 'Created', 'Path', 'Args', 'State']);
    expect(JSON.parse(skiff(['inspect', r.config.Id.slice(0, 8)], { env: store.env }).stdout)[0].Id).toBe(r.config.Id);
  });

  it('--format templates', async () => {
    const r = await exitedContainer(3, { Name: 'fmt' });
    const f = (t: string) => skiff(['inspect', '--format', t, 'fmt'], { env: store.env }).stdout;
    expect(f('{{.State.Status}}')).toBe('exited\n');
    expect(f('{{.State.ExitCode}} {{.Name}}')).toBe('3 /fmt\n');
    expect(f('{{.NetworkSettings.IPAddress}}')).toBe('\n');
    expect(f('{{json .Config.Cmd}}')).toBe('["/bin/sh","-c","./cmd.sh"]\n');
    expect(JSON.parse(f('{{json .Config}}'))).toEqual(r.config.Config);
    expect(f('{{.Nope}}')).toBe('<no value>\n');
    expect(skiff(['inspect', '-f', '{{.Id}}', 'fmt', 'fmt'], { env: store.env }).stdout).toBe(`${r.config.Id}\n${r.config.Id}\n`);
  });

  it('unknown containers: prints the others, reports each, exits 1', async () => {
    const r = await exitedContainer(0, { Name: 'there' });
    const out = skiff(['inspect', 'there', 'nothere'], { env: store.env });
    expect(out.status).toBe(1);
    expect(JSON.parse(out.stdout).map((x: { Id: string }) => x.Id)).toEqual([r.config.Id]);
    // Docker's generic inspect looks at every kind of object: "No such object" (container inspect says container).
    expect(out.stderr).toBe('skiff: No such object: nothere\n');
    expect(skiff(['container', 'inspect', 'nothere'], { env: store.env }).stderr).toBe('skiff: No such container: nothere\n');
    const none = skiff(['inspect', 'nothere'], { env: store.env });
    expect(none.stdout).toBe('[]\n');
    expect(none.status).toBe(1);
  });
});

describe('logs', () => {
  it('replays stdout and stderr to their streams; --tail, -t, --since, --until', async () => {
    const r = await exitedContainer(0, { Name: 'talker' });
    appendLog(r.config.Id, 'stdout', 'one\n', '2026-11-25T10:00:00.1Z');
    appendLog(r.config.Id, 'stderr', 'oops\n', '2026-11-25T10:00:01.000000002Z');
    appendLog(r.config.Id, 'stdout', 'two\n', '2026-11-25T10:00:02Z');
    const logs = (...a: string[]) => skiff(['logs', ...a, 'talker'], { env: store.env });
    const all = logs();
    expect(all.stdout).toBe('one\ntwo\n');
    expect(all.stderr).toBe('oops\n');
    expect(logs('--tail', '1').stdout).toBe('two\n');
    expect(logs('--tail', '2').stderr).toBe('oops\n');
    expect(logs('--tail', '0').stdout).toBe('');
    expect(logs('-t').stdout).toBe('2026-11-25T10:00:00.100000000Z one\n2026-11-25T10:00:02.000000000Z two\n');
    expect(logs('-t').stderr).toBe('2026-11-25T10:00:01.000000002Z oops\n');
    expect(logs('--since', '2026-11-25T10:00:01Z').stdout).toBe('two\n');
    expect(logs('--until', '2026-11-25T10:00:01Z').stdout).toBe('one\n');
    expect(logs('--since', '1h').stdout).toBe('');
    expect(skiff(['container', 'logs', r.config.Id.slice(0, 6)], { env: store.env }).stdout).toBe('one\ntwo\n');
    expect(logs('--since', 'whenever').stderr).toContain('invalid value for "since"');
    expect(skiff(['logs', 'nobody'], { env: store.env }).stderr).toBe('skiff: No such container: nobody\n');
  });

  it('a container that never logged prints nothing', async () => {
    await createContainer(spec({ Name: 'quiet' }));
    const out = skiff(['logs', 'quiet'], { env: store.env });
    expect(out.status).toBe(0);
    expect(out.stdout).toBe('');
  });

  it('-f follows new lines until the container stops', async () => {
    const r = await runningContainer({ Name: 'follow' });
    appendLog(r.config.Id, 'stdout', 'before\n');
    const child = spawn(SKIFF, ['logs', '-f', 'follow'], { env: { ...process.env, ...store.env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const waitFor = async (text: string) => {
      for (let i = 0; i < 1200 && !out.includes(text); i++) await new Promise((res) => setTimeout(res, 25));
      expect(out).toContain(text);
    };
    await waitFor('before\n');
    appendLog(r.config.Id, 'stdout', 'during 1\n');
    await waitFor('during 1\n');
    appendLog(r.config.Id, 'stdout', 'during 2\n');
    appendLog(r.config.Id, 'stdout', 'last words\n');
    expect(child.exitCode).toBeNull();
    r.sleeper.child.kill('SIGKILL');
    const code = await new Promise<number | null>((res) => child.once('close', res));
    expect(code).toBe(0);
    expect(out).toBe('before\nduring 1\nduring 2\nlast words\n');
  });
});

describe('rm, rename, prune', () => {
  it('rm removes a stopped container and echoes the argument', async () => {
    const r = await exitedContainer(0, { Name: 'gone' });
    const out = skiff(['rm', 'gone'], { env: store.env });
    expect(out.status).toBe(0);
    expect(out.stdout).toBe('gone\n');
    expect(existsSync(containerDir(r.config.Id))).toBe(false);
    expect(skiff(['rm', 'gone'], { env: store.env }).stderr).toBe('skiff: No such container: gone\n');
  });

  it('rm of a running container is refused; rm -f kills it first', async () => {
    const r = await runningContainer({ Name: 'busy' });
    const refused = skiff(['container', 'rm', 'busy'], { env: store.env });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe('skiff: cannot remove container "/busy": container is running: stop the container before removing or force remove. `skiff stop busy` first, or `skiff rm -f busy`\n');
    expect(existsSync(containerDir(r.config.Id))).toBe(true);
    const forced = skiff(['rm', '-f', 'busy'], { env: store.env });
    expect(forced.status).toBe(0);
    expect(forced.stdout).toBe('busy\n');
    expect(isProcessAlive(r.sleeper.pid, r.sleeper.start)).toBe(false);
    expect(existsSync(containerDir(r.config.Id))).toBe(false);
  });

  it('the chapter\'s `rm --force $(container ls --all --quiet)` empties the store', async () => {
    await exitedContainer(0);
    await exitedContainer(1);
    const r = await runningContainer();
    const ids = skiff(['container', 'ls', '--all', '--quiet'], { env: store.env }).stdout.trim().split('\n');
    expect(ids).toHaveLength(3);
    const out = skiff(['container', 'rm', '--force', ...ids], { env: store.env });
    expect(out.status).toBe(0);
    expect(out.stdout).toBe(ids.map((i) => `${i}\n`).join(''));
    expect(listContainerIds()).toEqual([]);
    expect(readdirSync(storePaths().containers)).toEqual([]);
    expect(readdirSync(storePaths().data + '/container-names')).toEqual([]);
    expect(isProcessAlive(r.sleeper.pid, r.sleeper.start)).toBe(false);
  });

  it('rm with some unknown names removes the rest and exits 1', async () => {
    await exitedContainer(0, { Name: 'real' });
    const out = skiff(['rm', 'ghost', 'real'], { env: store.env });
    expect(out.status).toBe(1);
    expect(out.stdout).toBe('real\n');
    expect(out.stderr).toBe('skiff: No such container: ghost\n');
  });

  it('rename', async () => {
    await exitedContainer(0, { Name: 'before' });
    await exitedContainer(0, { Name: 'taken' });
    expect(skiff(['rename', 'before', 'after'], { env: store.env }).status).toBe(0);
    expect(ps('-a', '--format', '{{.Names}}').stdout).toBe('taken\nafter\n');
    const clash = skiff(['container', 'rename', 'after', 'taken'], { env: store.env });
    expect(clash.status).toBe(1);
    expect(clash.stderr).toContain('Conflict. The container name "/taken" is already in use');
  });

  it('container prune removes stopped ones only, with Docker\'s report', async () => {
    const a = await exitedContainer(0);
    const b = await createContainer(spec());
    const r = await runningContainer({ Name: 'keeper' });
    const out = skiff(['container', 'prune', '-f'], { env: store.env });
    expect(out.status).toBe(0);
    const lines = out.stdout.split('\n');
    expect(lines[0]).toBe('Deleted Containers:');
    expect(lines.slice(1, 3).sort()).toEqual([a.config.Id, b.config.Id].sort());
    expect(lines.slice(3)).toEqual(['', 'Total reclaimed space: 0B', '']);
    expect(listContainerIds()).toEqual([r.config.Id]);
    expect(skiff(['container', 'prune', '-f'], { env: store.env }).stdout).toBe('Total reclaimed space: 0B\n');
  });

  it('container prune asks first and does nothing without a yes', async () => {
    await exitedContainer(0);
    const no = skiff(['container', 'prune'], { env: store.env, input: 'n\n' });
    expect(no.stdout).toContain('Are you sure you want to continue? [y/N] ');
    expect(listContainerIds()).toHaveLength(1);
    const yes = skiff(['container', 'prune'], { env: store.env, input: 'y\n' });
    expect(yes.stdout).toContain('Deleted Containers:');
    expect(listContainerIds()).toHaveLength(0);
  });
});
