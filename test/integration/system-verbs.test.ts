// The verbs around the engine, root and rootless: version, info, system df/prune, events (one log for
// the CLI and the API), top, wait, pause/unpause (cgroup v2 freezer, or a clear error without one),
// generic inspect with --type and Go-template variables, ps -s / --filter label, the --format of stats,
// network ls and volume ls, volume rm -f — and the same through the docker CLI against the service.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needCommand, needRoot, needUserns } from '../helpers/conditions.js';
import { SKIFF, tempStore, type Store } from '../helpers/skiff.js';
import { ensureTestUser, type TestUser } from '../helpers/users.js';
import { userStore } from '../helpers/engine.js';
import { startService, type Service } from '../helpers/api-service.js';

interface Caller { name: string; store: Store; prefix: string[]; env: Record<string, string>; user?: TestUser }

function asCaller(c: Caller, cmd: string, args: string[], input = '', env: Record<string, string> = {}) {
  // The rootless prefix ends in `env -i …`: extra variables go there, as NAME=VALUE words.
  const extra = c.prefix.length ? Object.entries(env).map(([k, v]) => `${k}=${v}`) : [];
  const [bin, ...rest] = [...c.prefix, ...extra, cmd, ...args];
  return spawnSync(bin!, rest, { encoding: 'utf8', env: { ...process.env, ...c.env, ...env }, input, timeout: 60_000 });
}
const sk = (c: Caller, args: string[], input = '') => asCaller(c, SKIFF, args, input);

/** Run and expect success; the output. */
function ok(c: Caller, args: string[], input = ''): string {
  const r = sk(c, args, input);
  expect(r.status, `skiff ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Start `skiff events …` in the background; resolves with its output when it ends (its --until). */
function eventsUntil(c: Caller, args: string[]): Promise<string> {
  const [bin, ...rest] = [...c.prefix, SKIFF, 'events', ...args];
  const child = spawn(bin!, rest, { env: { ...process.env, ...c.env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return new Promise((resolve) => child.once('exit', () => resolve(out)));
}

/** CPU ticks (utime + stime) of a host pid, from /proc/PID/stat. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

const callers: Caller[] = [];
let rootStore: Store | undefined;
let userS: Store | undefined;

beforeAll(() => {
  rootStore = tempStore('skiff-sysverbs-');
  callers.push({ name: 'root', store: rootStore, prefix: [], env: rootStore.env });
  if (needRoot() === undefined && needUserns() === undefined) {
    const user = ensureTestUser(true);
    userS = userStore(user, 'skiff-sysverbs-user-');
    callers.push({
      name: 'rootless', store: userS, env: { SKIFF_ROOT: userS.root }, user,
      prefix: ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', 'env', '-i', `PATH=${process.env.PATH}`, `HOME=${user.home}`, `USER=${user.name}`, 'LANG=C.UTF-8', `SKIFF_ROOT=${userS.root}`],
    });
  }
}, 60_000);
afterAll(() => {
  userS?.dispose();
  rootStore?.dispose();
});

const modes = ['root', 'rootless'] as const;
const caller = (mode: string): Caller => callers.find((c) => c.name === mode)!;
const conds = (mode: string) => (mode === 'root' ? [needRoot] : [needRoot, needUserns]);

describe.each(modes)('system verbs (%s)', (mode) => {
  itWhen(conds(mode), 'version and info: Docker\'s layout, --format templates and json', () => {
    const c = caller(mode);
    const v = ok(c, ['version']);
    expect(v).toMatch(/^Client: skiff\n Version: {11}\S+\n API version: {7}1\.50\n/);
    expect(v).toMatch(/\nServer: skiff Engine\n Engine:\n {2}Version: {10}\S+\n {2}API version: {6}1\.50 \(minimum version 1\.24\)\n/);
    const ver = JSON.parse(ok(c, ['version', '--format', 'json']));
    expect(ok(c, ['version', '-f', '{{.Server.Version}}|{{.Client.Version}}']).trim()).toBe(`${ver.Server.Version}|${ver.Client.Version}`);
    const before = Number(ok(c, ['info', '--format', '{{.Containers}}']).trim());
    ok(c, ['create', '--name', 'info-probe', 'diamol/base', 'true']);
    expect(ok(c, ['info', '--format', '{{.Containers}} {{.ContainersStopped}} {{.Driver}}'])).toBe(`${before + 1} ${before + 1} overlay2\n`);
    const info = ok(c, ['system', 'info']);
    expect(info).toMatch(/^Client:\n Version: {4}\S+\n Context: {4}default\n Debug Mode: false\n\nServer:\n Containers: \d+\n {2}Running: \d+\n {2}Paused: 0\n {2}Stopped: \d+\n Images: \d+\n/);
    expect(info).toContain(`\n Docker Root Dir: ${c.store.root}\n`);
    expect(JSON.parse(ok(c, ['info', '--format', 'json'])).ServerVersion).toBe(ver.Server.Version);
    ok(c, ['rm', 'info-probe']);
  });

  itWhen(conds(mode), 'events: the CLI\'s own actions, filters, --since/--until replay, a live stream, --format', async () => {
    const c = caller(mode);
    const start = (Date.now() / 1000).toFixed(3);
    const live = eventsUntil(c, ['--filter', 'container=ev1', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}', '--until', String(Math.ceil(Date.now() / 1000) + 12)]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(sk(c, ['run', '--name', 'ev1', 'diamol/base', 'sh', '-c', 'exit 3']).status).toBe(3);
    // cp out, cp in, export: moby's archive-path, extract-to-dir, export (files in the caller's own store dir).
    const host = join(c.store.root, 'ev-hostname');
    ok(c, ['cp', 'ev1:/etc/hostname', host]);
    ok(c, ['cp', host, 'ev1:/tmp/']);
    ok(c, ['export', '-o', join(c.store.root, 'ev1.tar'), 'ev1']);
    rmSync(host, { force: true });
    rmSync(join(c.store.root, 'ev1.tar'), { force: true });
    ok(c, ['rename', 'ev1', 'ev2']);
    ok(c, ['rm', 'ev2']);
    ok(c, ['volume', 'create', 'ev-vol']);
    const end = (Date.now() / 1000 + 0.5).toFixed(3);
    const replay = ok(c, ['events', '--since', start, '--until', end]);
    const lines = replay.trim().split('\n');
    expect(lines.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}[+-]\d\d:\d\d (container|image|volume|network) \S+ \S+/.test(l)), replay).toBe(true);
    const actions = lines.filter((l) => / container /.test(l)).map((l) => l.split(' ')[2]);
    // A foreground run attaches before it starts, as `docker run` does.
    expect(actions).toEqual(['create', 'attach', 'start', 'die', 'archive-path', 'extract-to-dir', 'export', 'rename', 'destroy']);
    expect(replay).toMatch(/ container extract-to-dir [0-9a-f]{64} \(image=diamol\/base, name=ev1\)\n/);
    expect(replay).toMatch(/ container die [0-9a-f]{64} \(exitCode=3, image=diamol\/base, name=ev1\)\n/);
    expect(replay).toMatch(/ volume create ev-vol \(driver=local\)\n/);
    expect(ok(c, ['events', '--since', start, '--until', end, '--filter', 'type=volume', '--format', '{{.Action}} {{.Actor.ID}}'])).toBe('create ev-vol\n');
    expect(ok(c, ['events', '--since', start, '--until', end, '--filter', 'event=die', '--filter', 'event=destroy', '--format', '{{.Action}}'])).toBe('die\ndestroy\n');
    const json = ok(c, ['events', '--since', start, '--until', end, '--filter', 'event=rename', '--format', 'json']);
    expect(JSON.parse(json)).toMatchObject({ Type: 'container', Action: 'rename', Actor: { Attributes: { name: 'ev2', oldName: '/ev1' } } });
    expect(json).toMatch(/"timeNano":\d{19}\}/);
    // The live stream (started before the container) saw it under its first name, and ended at --until.
    expect(await live).toBe('container create ev1\ncontainer attach ev1\ncontainer start ev1\ncontainer die ev1\ncontainer archive-path ev1\ncontainer extract-to-dir ev1\ncontainer export ev1\n');
    const bad = sk(c, ['events', '--filter', 'colour=red', '--until', '0s']);
    expect([bad.status, bad.stderr.split('\n')[0]]).toEqual([1, "skiff: invalid filter 'colour'. supported filters: container, event, image, label, network, type, volume, scope, daemon"]);
    ok(c, ['volume', 'rm', 'ev-vol']);
  }, 90_000);

  itWhen(conds(mode), 'events: exec_create/exec_start/exec_die, attach, health_status, with Docker\'s shape and filters', async () => {
    const c = caller(mode);
    const start = (Date.now() / 1000).toFixed(3);
    ok(c, ['run', '-d', '--name', 'evx', '--network', 'none', '--health-cmd', 'test -f /tmp/ok', '--health-interval', '300ms', '--health-retries', '1',
      'diamol/base', 'sh', '-c', 'touch /tmp/ok; sleep 300']);
    const health = () => ok(c, ['inspect', '-f', '{{.State.Health.Status}}', 'evx']).trim();
    for (let i = 0; i < 100 && health() !== 'healthy'; i++) await new Promise((r) => setTimeout(r, 200));
    expect(sk(c, ['exec', 'evx', 'sh', '-c', 'rm /tmp/ok; exit 4']).status).toBe(4);
    for (let i = 0; i < 100 && health() !== 'unhealthy'; i++) await new Promise((r) => setTimeout(r, 200));
    expect(health()).toBe('unhealthy');
    ok(c, ['rm', '-f', 'evx']);
    const end = (Date.now() / 1000 + 0.5).toFixed(3);
    const ev = (filters: string[], format = '{{.Action}}') => ok(c, ['events', '--since', start, '--until', end, ...filters, '--format', format]).trim().split('\n');
    // `event=exec_create` matches `exec_create: CMD` (moby's fuzzy match for exec and health events).
    expect(ev(['--filter', 'event=exec_create'])).toEqual(['exec_create: sh -c rm /tmp/ok; exit 4']);
    const execs = ev(['--filter', 'event=exec_create', '--filter', 'event=exec_start', '--filter', 'event=exec_die'], '{{.Action}}|{{.Actor.Attributes.execID}}|{{.Actor.Attributes.exitCode}}|{{.Actor.Attributes.name}}');
    // The user's exec: create, start, die with its exit code, one execID; the probes: start and die only.
    const mine = execs.filter((l) => l.includes('rm /tmp/ok') || execs.some((o) => o.startsWith('exec_create') && o.split('|')[1] === l.split('|')[1]));
    const id = mine[0]!.split('|')[1]!;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    // (A missing key prints `<no value>`, as Go's templates do.)
    expect(mine).toEqual([`exec_create: sh -c rm /tmp/ok; exit 4|${id}|<no value>|evx`, `exec_start: sh -c rm /tmp/ok; exit 4|${id}|<no value>|evx`, `exec_die|${id}|4|evx`]);
    expect(execs.some((l) => /^exec_start: \/bin\/sh -c test -f \/tmp\/ok\|[0-9a-f]{64}\|<no value>\|evx$/.test(l))).toBe(true);
    expect(execs.some((l) => /^exec_die\|[0-9a-f]{64}\|1\|evx$/.test(l))).toBe(true);
    expect(ev(['--filter', 'event=health_status'])).toEqual(['health_status: healthy', 'health_status: unhealthy']);
    expect(ev(['--filter', 'event=health_status: unhealthy', '--filter', 'container=evx'], '{{.Type}} {{.Action}} {{.Actor.Attributes.image}}')).toEqual(['container health_status: unhealthy diamol/base']);
    const json = JSON.parse(ok(c, ['events', '--since', start, '--until', end, '--filter', 'event=exec_die', '--filter', 'container=evx', '--format', 'json']).trim().split('\n').find((l) => l.includes('"exitCode":"4"'))!);
    expect(json).toMatchObject({ Type: 'container', Action: 'exec_die', status: 'exec_die', scope: 'local', Actor: { Attributes: { execID: id, exitCode: '4', image: 'diamol/base', name: 'evx' } } });
    // attach: skiff attach to a running container (it returns when the container ends).
    const a0 = (Date.now() / 1000).toFixed(3);
    ok(c, ['run', '-d', '--name', 'eva', '--network', 'none', 'diamol/base', 'sh', '-c', 'sleep 2; echo bye']);
    expect(sk(c, ['attach', 'eva']).stdout).toBe('bye\n');
    ok(c, ['rm', '-f', 'eva']);
    expect(ok(c, ['events', '--since', a0, '--until', (Date.now() / 1000 + 0.5).toFixed(3), '--filter', 'event=attach', '--format', '{{.Action}} {{.Actor.Attributes.name}}'])).toBe('attach eva\n');
  }, 90_000);

  itWhen(conds(mode), 'top with ps options, wait prints the exit code, ps -s', () => {
    const c = caller(mode);
    ok(c, ['run', '-d', '--name', 'busy', 'diamol/base', 'sh', '-c', 'echo data > /big; sleep 60']);
    try {
      const top = ok(c, ['top', 'busy']);
      expect(top.split('\n')[0]).toMatch(/^UID {17}PID {17}PPID {16}C {19}STIME {15}TTY {17}TIME {16}CMD$/);
      expect(top).toMatch(/ sleep 60\n/);
      expect(ok(c, ['container', 'top', 'busy', '-o', 'pid,comm'])).toMatch(/^PID {17}COMMAND\n\d+ +sleep\n$/);
      expect(sk(c, ['top', 'busy', '-o', 'pid;rm']).status).toBe(1);
      const ps = ok(c, ['ps', '-s', '--filter', 'name=busy']);
      expect(ps.split('\n')[0]).toMatch(/NAMES {5}SIZE$/);
      expect(ps).toMatch(/busy {6}\d+(\.\d+)?k?B \(virtual \d+(\.\d+)?MB\)\n$/);
      expect(ok(c, ['ps', '-s', '--format', '{{.Names}} {{.Size}}', '--filter', 'name=busy'])).toMatch(/^busy \d+(\.\d+)?k?B \(virtual /);
    } finally {
      sk(c, ['rm', '-f', 'busy']);
    }
    ok(c, ['run', '-d', '--name', 'waiter', 'diamol/base', 'sh', '-c', 'sleep 1; exit 7']);
    expect(ok(c, ['wait', 'waiter'])).toBe('7\n');
    const both = sk(c, ['container', 'wait', 'waiter', 'nope']);
    expect([both.status, both.stdout, both.stderr]).toEqual([1, '7\n', 'skiff: No such container: nope\n']);
    ok(c, ['rm', 'waiter']);
  }, 90_000);

  itWhen(conds(mode), 'pause freezes every process of the container (cgroup v2 freezer) or says why it cannot', async () => {
    const c = caller(mode);
    ok(c, ['run', '-d', '--name', 'spin', 'diamol/base', 'sh', '-c', 'while :; do :; done']);
    try {
      const pid = Number(ok(c, ['inspect', '-f', '{{.State.Pid}}', 'spin']).trim());
      const p = sk(c, ['pause', 'spin']);
      if (p.status !== 0) {
        // No v2 cgroup for this container here (rootless without delegation): one clear line, nothing changed.
        expect(p.stderr).toMatch(/^skiff: cannot pause container spin: it has no cgroup v2 of its own .*`skiff doctor` shows what this host has\n$/);
        expect(p.status).toBe(1);
        expect(ok(c, ['inspect', '-f', '{{.State.Status}}', 'spin'])).toBe('running\n');
        return;
      }
      expect(p.stdout).toBe('spin\n');
      expect(ok(c, ['inspect', '-f', '{{.State.Status}} {{.State.Paused}} {{.State.Running}}', 'spin'])).toBe('paused true true\n');
      expect(ok(c, ['ps', '--format', '{{.Status}}', '--filter', 'name=spin'])).toMatch(/^Up .* \(Paused\)\n$/);
      const t0 = cpuTicks(pid);
      await new Promise((r) => setTimeout(r, 800));
      expect(cpuTicks(pid) - t0, 'a paused container uses no CPU').toBe(0);
      expect(sk(c, ['pause', 'spin']).stderr).toMatch(/is already paused/);
      ok(c, ['unpause', 'spin']);
      const t1 = cpuTicks(pid);
      await new Promise((r) => setTimeout(r, 800));
      expect(cpuTicks(pid) - t1, 'unpaused, it runs again').toBeGreaterThan(0);
      ok(c, ['pause', 'spin']);
      // stop and rm -f of a paused container: thawed first, then signalled.
      ok(c, ['stop', '-t', '1', 'spin']);
      expect(ok(c, ['inspect', '-f', '{{.State.Status}}', 'spin'])).toBe('exited\n');
    } finally {
      sk(c, ['rm', '-f', 'spin']);
    }
  }, 90_000);

  itWhen(conds(mode), 'generic inspect with --type and template variables; ls --format; volume rm -f', () => {
    const c = caller(mode);
    ok(c, ['volume', 'create', 'gv']);
    ok(c, ['network', 'create', 'gnet']);
    ok(c, ['create', '--name', 'gc', '-e', 'A=1', '-e', 'B=2', 'diamol/base', 'true']);
    try {
      expect(ok(c, ['inspect', '-f', '{{.Name}}', 'gc', 'gnet', 'gv'])).toBe('/gc\ngnet\ngv\n');
      expect(ok(c, ['inspect', '-f', '{{.Os}}', 'diamol/base'])).toBe('linux\n');
      expect(ok(c, ['inspect', '--type', 'image', '-f', '{{index .RepoTags 0}}', 'diamol/base'])).toBe('diamol/base:latest\n');
      expect(ok(c, ['inspect', '--type', 'volume', '-f', '{{.Driver}} {{.Mountpoint}}', 'gv'])).toMatch(/^local \/.*\/gv\/_data\n$/);
      const wrongType = sk(c, ['inspect', '--type', 'network', 'gv']);
      expect([wrongType.status, wrongType.stdout, wrongType.stderr]).toEqual([1, '[]\n', 'skiff: network gv not found\n']);
      const mixed = sk(c, ['inspect', 'gv', 'nothing-here']);
      expect(mixed.status).toBe(1);
      expect(JSON.parse(mixed.stdout)).toHaveLength(1);
      expect(mixed.stderr).toBe('skiff: No such object: nothing-here\n');
      expect(ok(c, ['inspect', '-f', '{{range $i, $e := .Config.Env}}{{if lt $i 2}}{{$i}}={{$e}};{{end}}{{end}}', 'gc'])).toMatch(/^0=\S+;1=\S+;\n$/);
      expect(ok(c, ['inspect', '-f', '{{$n := .Name}}{{range $k, $v := .NetworkSettings.Networks}}{{$n}} on {{$k}}{{end}}', 'gc'])).toMatch(/^\/gc on \S+\n$/);
      expect(ok(c, ['container', 'inspect', '-f', '{{range $e := .Config.Env}}{{if eq $e "B=2"}}found {{$e}}{{end}}{{end}}', 'gc'])).toBe('found B=2\n');
      expect(ok(c, ['network', 'ls', '--format', '{{.Name}}\t{{.Driver}}'])).toContain('gnet\tbridge\n');
      expect(JSON.parse(ok(c, ['network', 'ls', '--format', 'json']).split('\n').find((l) => l.includes('"gnet"'))!)).toMatchObject({ Name: 'gnet', Driver: 'bridge', Scope: 'local' });
      expect(ok(c, ['volume', 'ls', '--format', 'table {{.Name}}\t{{.Driver}}'])).toMatch(/^VOLUME NAME {3}DRIVER\n(.*\n)*gv {12}local\n/);
      expect(JSON.parse(ok(c, ['volume', 'ls', '--format', 'json']).trim().split('\n').find((l) => l.includes('"gv"'))!)).toEqual({
        Availability: 'N/A', Driver: 'local', Group: 'N/A', Labels: '', Links: 'N/A', Mountpoint: expect.stringMatching(/\/gv\/_data$/), Name: 'gv', Scope: 'local', Size: 'N/A', Status: 'N/A',
      });
      expect(sk(c, ['volume', 'rm', 'not-a-volume']).status).toBe(1);
      const forced = sk(c, ['volume', 'rm', '-f', 'not-a-volume', 'gv']);
      expect([forced.status, forced.stdout]).toEqual([0, 'not-a-volume\ngv\n']);
    } finally {
      sk(c, ['rm', '-f', 'gc']);
      sk(c, ['network', 'rm', 'gnet']);
      sk(c, ['volume', 'rm', '-f', 'gv']);
    }
  }, 90_000);

  itWhen(conds(mode), 'stats --format: templates, table and json with Docker\'s fields', () => {
    const c = caller(mode);
    ok(c, ['run', '-d', '--name', 'st', 'diamol/base', 'sleep', '60']);
    try {
      expect(ok(c, ['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'st'])).toBe('st 1\n');
      const row = JSON.parse(ok(c, ['stats', '--no-stream', '--format', 'json', 'st']));
      expect(Object.keys(row)).toEqual(['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']);
      expect(row).toMatchObject({ Container: 'st', Name: 'st', PIDs: '1', ID: expect.stringMatching(/^[0-9a-f]{12}$/), CPUPerc: expect.stringMatching(/%$/) });
      expect(ok(c, ['stats', '--no-stream', '--format', 'table {{.Name}}\t{{.PIDs}}', 'st'])).toBe('NAME      PIDS\nst        1\n');
    } finally {
      sk(c, ['rm', '-f', 'st']);
    }
  }, 60_000);

  itWhen(conds(mode), 'system df (-v, --format) and system prune [-a] [--volumes] [-f]', () => {
    const c = caller(mode);
    const df = ok(c, ['system', 'df']);
    expect(df).toMatch(/^TYPE {12}TOTAL {5}ACTIVE {4}SIZE {6}RECLAIMABLE\nImages {10}\d+ +\d+ +\S+ +\S+( \(\d+%\))?\nContainers {6}\d+ .*\nLocal Volumes {3}\d+ .*\nBuild Cache {5}0 {9}0 {9}0B {8}0B\n$/);
    const rows = ok(c, ['system', 'df', '--format', 'json']).trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => r.Type)).toEqual(['Images', 'Containers', 'Local Volumes', 'Build Cache']);
    ok(c, ['create', '--name', 'dead', 'diamol/base', 'true']);
    ok(c, ['network', 'create', 'idle-net']);
    ok(c, ['volume', 'create', 'named-vol']);
    const anon = ok(c, ['volume', 'create']).trim();
    const verbose = ok(c, ['system', 'df', '-v']);
    expect(verbose).toMatch(/^Images space usage:\n\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS\ndiamol\/base +latest +[0-9a-f]{12} /);
    expect(verbose).toMatch(/\nContainers space usage:\n\nCONTAINER ID +IMAGE +COMMAND +LOCAL VOLUMES +SIZE +CREATED +STATUS +NAMES\n[0-9a-f]{12} +diamol\/base +"true" +0 +\S+ +.* ago +Created +dead\n/);
    expect(verbose).toMatch(new RegExp(`\\nLocal Volumes space usage:\\n\\nVOLUME NAME +LINKS +SIZE\\n(.*\\n)*${anon} +0 +0B\\n`));
    expect(verbose).toMatch(/\nBuild cache usage: 0B\n\nCACHE ID +CACHE TYPE +SIZE +CREATED +LAST USED +USAGE +SHARED\n$/);
    // Without -f it asks; no answer means nothing is removed.
    const asked = sk(c, ['system', 'prune'], 'n\n');
    expect(asked.stdout).toBe('WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n  - unused build cache\n\nAre you sure you want to continue? [y/N] ');
    expect(ok(c, ['ps', '-aq', '--filter', 'name=dead'])).not.toBe('');
    const pruned = ok(c, ['system', 'prune', '-f', '--volumes']);
    expect(pruned).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n\nDeleted Networks:\nidle-net\n\nDeleted Volumes:\n[0-9a-f]{64}\n\nTotal reclaimed space: \S+\n$/);
    expect(ok(c, ['volume', 'ls', '-q'])).toBe('named-vol\n');
    expect(ok(c, ['images', '-q'])).not.toBe('');
    ok(c, ['create', '--name', 'keeper', 'diamol/base', 'true']);
    const all = sk(c, ['system', 'prune', '-a'], 'y\n');
    expect(all.stdout).toContain('  - all images without at least one container associated to them\n  - all build cache\n');
    expect(all.stdout).toMatch(/Deleted Images:\nuntagged: diamol\/base:latest\n(untagged: .*\n)*deleted: sha256:[0-9a-f]{64}\n/);
    expect(ok(c, ['images', '-q'])).toBe('');
    ok(c, ['volume', 'rm', 'named-vol']);
  }, 90_000);
});

describe.each(modes)('the same through the Engine API with the docker CLI (%s)', (mode) => {
  const apiConds = (m: string) => [...conds(m), needCommand('docker')];
  let svc: Service | undefined;
  const docker = (c: Caller, args: string[]) => asCaller(c, 'docker', args, '', { DOCKER_HOST: `unix://${svc!.socket}` });
  const dok = (c: Caller, args: string[]) => {
    const r = docker(c, args);
    expect(r.status, `docker ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  itWhen(apiConds(mode), 'version, info, system df, events, pause/unpause, top, update, labels', async () => {
    const c = caller(mode);
    svc = await startService(c.store.root, c.user ? { user: c.user } : {});
    try {
      expect(dok(c, ['version', '--format', '{{.Server.Platform.Name}} {{.Server.APIVersion}} {{(index .Server.Components 0).Name}}'])).toBe('skiff Engine 1.50 Engine\n');
      expect(dok(c, ['info', '--format', '{{.Driver}} {{.OSType}} {{.NCPU}}'])).toMatch(/^overlay2 linux \d+\n$/);
      expect(dok(c, ['system', 'df', '--format', '{{.Type}}'])).toBe('Images\nContainers\nLocal Volumes\nBuild Cache\n');
      const start = (Date.now() / 1000).toFixed(3);
      // Made through the API, seen by skiff's CLI (labels too); made by the CLI, seen through the API.
      dok(c, ['run', '-d', '--name', 'api-c', '--label', 'tier=web', 'diamol/base', 'sleep', '60']);
      expect(ok(c, ['ps', '--filter', 'label=tier=web', '--format', '{{.Names}} {{.Labels}}'])).toBe('api-c tier=web\n');
      expect(ok(c, ['ps', '--filter', 'label=tier=db', '-q'])).toBe('');
      ok(c, ['create', '--name', 'cli-c', 'diamol/base', 'true']);
      const top = dok(c, ['top', 'api-c', '-o', 'pid,comm']);
      expect(top).toMatch(/^PID +COMMAND\n\d+ +sleep\n$/);
      expect(dok(c, ['update', '--restart', 'unless-stopped', 'api-c'])).toBe('api-c\n');
      expect(ok(c, ['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}', 'api-c'])).toBe('unless-stopped\n');
      const p = docker(c, ['pause', 'api-c']);
      if (p.status === 0) {
        expect(dok(c, ['ps', '--format', '{{.Status}}', '--filter', 'name=api-c'])).toMatch(/\(Paused\)\n$/);
        dok(c, ['unpause', 'api-c']);
      } else {
        expect(p.stderr).toMatch(/^Error response from daemon: cannot pause container api-c: it has no cgroup v2 of its own/);
      }
      dok(c, ['rm', '-f', 'api-c', 'cli-c']);
      const end = (Date.now() / 1000 + 0.5).toFixed(3);
      const seen = dok(c, ['events', '--since', start, '--until', end, '--filter', 'type=container', '--format', '{{.Action}} {{.Actor.Attributes.name}}']).trim().split('\n');
      expect(seen).toEqual(expect.arrayContaining(['create api-c', 'start api-c', 'create cli-c', 'destroy api-c', 'destroy cli-c', ...(p.status === 0 ? ['pause api-c', 'unpause api-c'] : [])]));
      expect(dok(c, ['events', '--since', start, '--until', end, '--filter', 'label=tier=web', '--filter', 'event=create', '--format', '{{.Actor.Attributes.name}}'])).toBe('api-c\n');
      expect(ok(c, ['events', '--since', start, '--until', end, '--filter', 'container=cli-c', '--format', '{{.Action}}'])).toBe('create\ndestroy\n');
    } finally {
      await svc.stop();
    }
  }, 120_000);
});
