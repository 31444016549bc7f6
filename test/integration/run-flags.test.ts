// The run/create flags of docs/run-flags.md, end to end through bin/skiff, as root and as an ordinary
// user (rootless): what the container sees (mounts, /etc files, limits, groups), what the record keeps
// (inspect), what ps shows (health, ports, restarting), and Docker's exit code 125 with nothing left
// behind for each kind of bad input. Runs inside the suite's network namespace; the only traffic is to
// the container's published ports on loopback.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { hostname } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { itWhen, needRoot, needUserns } from '../helpers/conditions.js';
import { SKIFF, tempStore, type Store } from '../helpers/skiff.js';
import { ensureTestUser, type TestUser } from '../helpers/users.js';
import { userStore } from '../helpers/engine.js';
import { assertSuiteNetns } from '../helpers/netns.js';

interface Caller { name: string; store: Store; prefix: string[]; env: Record<string, string>; work: string }

const callers = new Map<string, Caller>();
let user: TestUser | undefined;
const dirs: string[] = [];

function sk(c: Caller, args: string[], opts: { cwd?: string; input?: string } = {}) {
  const [cmd, ...rest] = [...c.prefix, SKIFF, ...args];
  return spawnSync(cmd!, rest, { encoding: 'utf8', env: { ...process.env, ...c.env }, cwd: opts.cwd ?? c.work, input: opts.input, timeout: 90_000 });
}

function ok(c: Caller, args: string[], opts: { cwd?: string } = {}): string {
  const r = sk(c, args, opts);
  if (r.status !== 0) throw new Error(`skiff ${args.join(' ')} → ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a server on 127.0.0.1:port says first (retried while the port is being published). */
async function askPort(port: number): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const got = await new Promise<string>((res) => {
      let text = '';
      const sock = connect(port, '127.0.0.1');
      sock.setTimeout(2000, () => sock.destroy());
      sock.on('data', (d) => (text += d.toString()));
      sock.on('close', () => res(text.trim()));
      sock.on('error', () => res(''));
    });
    if (got) return got;
    await sleep(300);
  }
  return '';
}

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
  const rootStore = tempStore('skiff-runflags-');
  const rootWork = mkdtempSync('/tmp/skiff-runflags-work-');
  dirs.push(rootWork);
  callers.set('root', { name: 'root', store: rootStore, prefix: [], env: rootStore.env, work: rootWork });
  if (needRoot() === undefined && needUserns() === undefined) {
    user = ensureTestUser(true);
    const s = userStore(user, 'skiff-runflags-user-');
    const work = mkdtempSync('/tmp/skiff-runflags-uwork-');
    chmodSync(work, 0o755);
    spawnSync('chown', [`${user.uid}:${user.gid}`, work]);
    dirs.push(work);
    callers.set('rootless', {
      name: 'rootless', store: s, work, env: { SKIFF_ROOT: s.root },
      prefix: ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', 'env', '-i', `PATH=${process.env.PATH}`, `HOME=${user.home}`, `USER=${user.name}`, 'LANG=C.UTF-8', `SKIFF_ROOT=${s.root}`],
    });
  }
}, 120_000);

afterAll(() => {
  for (const c of callers.values()) c.store.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 120_000);

const modes: Array<['root' | 'rootless', Array<() => string | undefined>]> = [['root', [needRoot]], ['rootless', [needRoot, needUserns]]];

for (const [mode, conds] of modes) {
  describe(`run/create flags (${mode})`, () => {
    const c = () => callers.get(mode)!;

    itWhen(conds, 'mounts: --mount bind/volume/tmpfs, --tmpfs, relative -v, --shm-size, --read-only', () => {
      const w = c().work;
      mkdirSync(join(w, 'data'), { recursive: true });
      writeFileSync(join(w, 'data', 'f'), 'from-host\n');
      chmodSync(join(w, 'data'), 0o777);
      const out = ok(c(), ['run', '--rm', '--read-only',
        '--mount', `type=bind,src=${join(w, 'data')},dst=/b,readonly`,
        '--mount', 'type=volume,source=rfvol,target=/v',
        '--mount', 'type=tmpfs,destination=/t,tmpfs-size=2m,tmpfs-mode=1770',
        '--tmpfs', '/scratch:size=1m',
        '-v', './data:/rel',
        '--shm-size', '96m',
        'diamol/base', 'sh', '-c',
        'cat /b/f; touch /b/x 2>/dev/null && echo b-writable || echo b-ro; echo v > /v/f && cat /v/f; ' +
        'touch /root-file 2>/dev/null && echo root-writable || echo root-ro; cat /rel/f; ' +
        'df -k /t /scratch /dev/shm | awk \'NR>1{print $6, $2}\'; stat -c %a /t; mount | grep -E " /(scratch|t) " | grep -o "nosuid,nodev,noexec"'], { cwd: w });
      // Sizes, mode and flags as dockerd 20.10 mounts them (rw,nosuid,nodev,noexec for both kinds of tmpfs).
      expect(out).toBe('from-host\nb-ro\nv\nroot-ro\nfrom-host\n/t 2048\n/scratch 1024\n/dev/shm 98304\n1770\nnosuid,nodev,noexec\nnosuid,nodev,noexec\n');
      expect(ok(c(), ['volume', 'ls', '-q'])).toContain('rfvol');
    });

    itWhen(conds, 'volumes: copy-up with owners and modes (nocopy turns it off), tmpfs and bind volumes of the local driver', () => {
      const w = c().work;
      ok(c(), ['run', '--name', 'cusrc', 'diamol/base', 'sh', '-c', 'mkdir /data && echo hi > /data/f && chown -R 1000:2000 /data && chmod 750 /data']);
      ok(c(), ['commit', 'cusrc', 'rf-cuimg']);
      expect(ok(c(), ['run', '--rm', '-v', 'rfcu:/data', 'rf-cuimg', 'stat', '-c', '%a %u %g %n', '/data', '/data/f'])).toBe('750 1000 2000 /data\n644 1000 2000 /data/f\n');
      expect(ok(c(), ['run', '--rm', '--mount', 'type=volume,src=rfnc,dst=/data,volume-nocopy', 'rf-cuimg', 'ls', '-A', '/data'])).toBe('');
      ok(c(), ['volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=1m', 'rftmp']);
      expect(ok(c(), ['run', '--rm', '-v', 'rftmp:/t', 'diamol/base', 'sh', '-c', 'df -k /t | awk \'NR==2 {print $1, $2}\''])).toBe('tmpfs 1024\n');
      mkdirSync(join(w, 'bdev'), { recursive: true });
      chmodSync(join(w, 'bdev'), 0o777);
      ok(c(), ['volume', 'create', '--opt', 'type=none', '--opt', 'o=bind', '--opt', `device=${join(w, 'bdev')}`, 'rfbind']);
      ok(c(), ['run', '--rm', '-v', 'rfbind:/b', 'diamol/base', 'sh', '-c', 'echo in > /b/g']);
      expect(readFileSync(join(w, 'bdev', 'g'), 'utf8')).toBe('in\n');
      // bind-nonrecursive: a directory with no mount below it is bound; one with a mount below it is a clear error.
      mkdirSync(join(w, 'nr', 'sub'), { recursive: true });
      writeFileSync(join(w, 'nr', 'f'), 'top\n');
      expect(ok(c(), ['run', '--rm', '--mount', `type=bind,src=${join(w, 'nr')},dst=/nr,bind-nonrecursive`, 'diamol/base', 'cat', '/nr/f'])).toBe('top\n');
      const nr = sk(c(), ['run', '--rm', '--mount', 'type=bind,src=/sys,dst=/nr,bind-nonrecursive', 'diamol/base', 'true']);
      expect([nr.status, nr.stderr.split(' has mounts below it')[0]]).toEqual([125, 'skiff: bind-nonrecursive: /sys']);
      const bad = sk(c(), ['volume', 'create', '--opt', 'foo=bar', 'rfbad']);
      expect([bad.status, bad.stderr.split('. ')[0]]).toEqual([1, 'skiff: create rfbad: invalid option: "foo"']);
      ok(c(), ['rm', 'cusrc']);
      ok(c(), ['rmi', 'rf-cuimg']);
    });

    itWhen(conds, '/etc files: --add-host (host-gateway), --dns*, --domainname; --network host keeps the host\'s name', () => {
      const out = ok(c(), ['run', '--rm', '--add-host', 'db:10.1.2.3', '--add-host', 'host.docker.internal:host-gateway',
        '--dns', '192.0.2.53', '--dns-search', 'corp.test', '--dns-option', 'ndots:2', '--domainname', 'example.org', '-h', 'box',
        'diamol/base', 'sh', '-c', 'grep -v "^ff\\|^fe\\|^::1\\|^127" /etc/hosts; grep -v "^#" /etc/resolv.conf; cat /proc/sys/kernel/domainname; hostname']);
      const lines = out.trim().split('\n');
      expect(lines.slice(0, 2)).toEqual(['10.1.2.3\tdb', '172.17.0.1\thost.docker.internal']);
      expect(lines[2]).toMatch(/^172\.17\.\d+\.\d+\tbox\.example\.org box$/);
      expect(lines.slice(3)).toEqual(['search corp.test', 'nameserver 192.0.2.53', 'options ndots:2', 'example.org', 'box']);
      expect(ok(c(), ['run', '--rm', '--network', 'host', 'diamol/base', 'hostname']).trim()).toBe(hostname());
    });

    itWhen(conds, 'process: --ulimit, -u UID:GID groups, --group-add', () => {
      const out = ok(c(), ['run', '--rm', '--ulimit', 'nofile=512:1024', '--ulimit', 'core=0', 'diamol/base', 'sh', '-c', 'ulimit -Sn; ulimit -Hn; ulimit -c']);
      expect(out).toBe('512\n1024\n0\n');
      // -u uid:gid: exactly that group, as runc gives (no memberships from /etc/group); --group-add adds.
      expect(ok(c(), ['run', '--rm', '-u', '1000:1000', 'diamol/base', 'id']).trim()).toBe('uid=1000 gid=1000 groups=1000');
      expect(ok(c(), ['run', '--rm', '-u', '1000:1000', '--group-add', '1001', 'diamol/base', 'id']).trim()).toBe('uid=1000 gid=1000 groups=1000,1001');
      expect(ok(c(), ['run', '--rm', 'diamol/base', 'id']).trim()).toBe('uid=0(root) gid=0(root) groups=0(root)');
      // An unknown group name is found out when the process starts: run fails with 125 and keeps nothing.
      const g = sk(c(), ['run', '--rm', '--group-add', 'nosuchgroup', 'diamol/base', 'true']);
      expect(g.status).toBe(125);
      expect(g.stderr).toContain('Unable to find group nosuchgroup: no matching entries in group file');
      // A limit above skiff's own cannot be raised inside a user namespace: said before anything exists.
      const r = sk(c(), ['run', '--rm', '--ulimit', 'nofile=1:99999999', 'diamol/base', 'true']);
      expect(r.status).toBe(125);
      expect(r.stderr).toContain("above skiff's own");
    });

    itWhen(conds, 'record: labels, --label-file, --expose, --stop-signal/--stop-timeout, --cidfile, --log-*, inspect', async () => {
      const w = c().work;
      writeFileSync(join(w, 'labels'), 'team=core\n# comment\ntier=web\n');
      chmodSync(join(w, 'labels'), 0o644);
      const cid = join(w, `cid-${mode}`);
      const id = ok(c(), ['create', '--name', 'rec', '-l', 'tier=api', '--label-file', 'labels', '--expose', '7000-7001', '--stop-signal', 'SIGUSR1',
        '--stop-timeout', '3', '--cidfile', cid, '--log-opt', 'max-size=1k', '--log-opt', 'max-file=2', '--health-cmd', 'true', '--health-retries', '4',
        'diamol/base', 'sh', '-c', 'trap "echo usr1; exit 7" USR1; i=0; while [ $i -lt 60 ]; do echo line-$i-padding-padding-padding; i=$((i+1)); done; while true; do sleep 0.1; done']).trim();
      expect(readFileSync(cid, 'utf8')).toBe(id);
      const i = JSON.parse(ok(c(), ['inspect', 'rec']))[0];
      expect(i.Config.Labels).toMatchObject({ team: 'core', tier: 'api' });
      expect(Object.keys(i.Config.ExposedPorts).sort()).toEqual(['7000/tcp', '7001/tcp']);
      expect(i.Config.StopSignal).toBe('SIGUSR1');
      expect(i.Config.StopTimeout).toBe(3);
      expect(i.Config.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'true'], Retries: 4 }); // zero fields left out, as moby's omitempty
      expect(i.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '1k', 'max-file': '2' } });
      // A second create with the same --cidfile is Docker's error.
      const again = sk(c(), ['create', '--cidfile', cid, 'diamol/base', 'true']);
      expect(again.status).toBe(125);
      expect(again.stderr).toContain('container ID file found');
      ok(c(), ['start', 'rec']);
      await until(() => ok(c(), ['logs', 'rec']).split('\n').length, (n) => n > 5, 10_000);
      await sleep(500);
      const started = Date.now();
      ok(c(), ['stop', 'rec']);
      expect(Date.now() - started).toBeLessThan(2500); // the stop signal ended it; no 3 s wait for SIGKILL
      expect(ok(c(), ['inspect', '-f', '{{.State.ExitCode}}', 'rec']).trim()).toBe('7');
      const logs = ok(c(), ['logs', 'rec']);
      // Rotated at 1 KiB, two files kept: the oldest lines are gone, the newest are there.
      expect(logs).toContain('usr1');
      expect(logs).not.toContain('line-0-');
      const none = sk(c(), ['run', '--log-driver', 'none', '--name', 'quiet', 'diamol/base', 'echo', 'hi']);
      expect(none.stdout).toBe('hi\n');
      const l = sk(c(), ['logs', 'quiet']);
      expect(l.status).toBe(1);
      expect(l.stderr).toContain('configured logging driver does not support reading');
      ok(c(), ['rm', '-f', 'rec', 'quiet']);
    });

    itWhen(conds, 'logs -f follows the json-file log across its rotations: every line once, in order', async () => {
      // ~90 bytes a line, 1 KiB a file: a rotation every ~11 lines, 14 of them while logs -f follows.
      ok(c(), ['run', '-d', '--network', 'none', '--name', 'rot', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=10',
        'diamol/base', 'sh', '-c', 'i=0; while [ $i -lt 160 ]; do echo line-$i; i=$((i+1)); sleep 0.03; done']);
      const [cmd, ...rest] = [...c().prefix, SKIFF, 'logs', '-f', 'rot'];
      const followed = await new Promise<string>((resolve, reject) => {
        const p = spawn(cmd!, rest, { env: { ...process.env, ...c().env }, cwd: c().work, stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        const t = setTimeout(() => { p.kill(); reject(new Error(`logs -f did not end: ${out.slice(-200)}`)); }, 60_000);
        p.on('close', () => { clearTimeout(t); resolve(out); });
      });
      expect(followed.trim().split('\n')).toEqual(Array.from({ length: 160 }, (_, i) => `line-${i}`));
      // What stays on disk is the newest max-file files, read oldest first.
      const kept = ok(c(), ['logs', 'rot']).trim().split('\n');
      expect(kept.at(-1)).toBe('line-159');
      expect(kept.length).toBeLessThan(160);
      expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `line-${160 - kept.length + i}`));
      ok(c(), ['rm', 'rot']);
    }, 90_000);

    itWhen(conds, 'health: (health: starting) → (healthy) → (unhealthy) in ps, .State.Health in inspect', async () => {
      ok(c(), ['run', '-d', '--name', 'hc', '--health-cmd', 'test -f /tmp/ok', '--health-interval', '300ms', '--health-retries', '2',
        'diamol/base', 'sh', '-c', 'sleep 1; touch /tmp/ok; sleep 300']);
      const status = () => ok(c(), ['ps', '--filter', 'name=hc', '--format', '{{.Status}}']).trim();
      expect(status()).toMatch(/\(health: starting\)$/);
      expect(await until(status, (s) => s.endsWith('(healthy)'), 20_000)).toMatch(/^Up .* \(healthy\)$/);
      ok(c(), ['exec', 'hc', 'rm', '/tmp/ok']);
      expect(await until(status, (s) => s.endsWith('(unhealthy)'), 20_000)).toMatch(/^Up .* \(unhealthy\)$/);
      const h = JSON.parse(ok(c(), ['inspect', '-f', '{{json .State.Health}}', 'hc']));
      expect(h.Status).toBe('unhealthy');
      expect(h.FailingStreak).toBeGreaterThanOrEqual(2);
      expect(h.Log.length).toBeLessThanOrEqual(5);
      expect(h.Log.at(-1).ExitCode).toBe(1);
      // --no-healthcheck turns an image's or a flag's check off.
      ok(c(), ['create', '--name', 'nohc', '--no-healthcheck', 'diamol/base', 'true']);
      expect(JSON.parse(ok(c(), ['inspect', 'nohc']))[0].Config.Healthcheck).toEqual({ Test: ['NONE'] });
      ok(c(), ['rm', '-f', 'hc', 'nohc']);
    }, 60_000);

    itWhen(conds, 'ports: a -p range publishes each pair; a stopped container lists none; freed addresses are reused lowest first', async () => {
      const base = mode === 'root' ? 18090 : 19090;
      ok(c(), ['run', '-d', '--name', 'pr', '-p', `${base}-${base + 1}:80-81`, 'diamol/base', 'sh', '-c',
        'for p in 80 81; do (while true; do echo port-$p | nc -l -p $p; done) & done; wait']);
      expect(ok(c(), ['ps', '--filter', 'name=pr', '--format', '{{.Ports}}']).trim()).toBe(`0.0.0.0:${base}->80/tcp, 0.0.0.0:${base + 1}->81/tcp`);
      expect(await askPort(base)).toBe('port-80');
      expect(await askPort(base + 1)).toBe('port-81');
      ok(c(), ['stop', '-t', '0', 'pr']);
      expect(ok(c(), ['ps', '-a', '--filter', 'name=pr', '--format', '[{{.Ports}}]']).trim()).toBe('[]');
      ok(c(), ['rm', 'pr']);
      const ipOf = (n: string) => ok(c(), ['inspect', '-f', '{{.NetworkSettings.IPAddress}}', n]).trim();
      ok(c(), ['run', '-d', '--name', 'a1', 'diamol/base', 'sleep', '60']);
      ok(c(), ['run', '-d', '--name', 'a2', 'diamol/base', 'sleep', '60']);
      const first = ipOf('a1');
      ok(c(), ['rm', '-f', 'a1']);
      ok(c(), ['run', '-d', '--name', 'a3', 'diamol/base', 'sleep', '60']);
      expect(ipOf('a3')).toBe(first);
      ok(c(), ['rm', '-f', 'a2', 'a3']);
    }, 90_000);

    itWhen(conds, 'a container in restart back-off shows Restarting (n) … ago', async () => {
      ok(c(), ['run', '-d', '--name', 'rs', '--restart', 'always', 'diamol/base', 'sh', '-c', 'exit 3']);
      const s = await until(() => ok(c(), ['ps', '-a', '--filter', 'name=rs', '--format', '{{.Status}}']).trim(), (v) => v.startsWith('Restarting'), 15_000);
      expect(s).toMatch(/^Restarting \(3\) (Less than a second|\d+ seconds?) ago$/);
      // It flips between restarting and running; inspect says Restarting while it backs off.
      expect(await until(() => ok(c(), ['inspect', '-f', '{{.State.Restarting}} {{.State.Status}}', 'rs']).trim(), (v) => v === 'true restarting', 15_000)).toBe('true restarting');
      ok(c(), ['rm', '-f', 'rs']);
    }, 30_000);

    itWhen(conds, 'bad input: exit 125, one line, nothing created; --env-file of a missing file is skiff\'s error, not Node\'s', () => {
      const bad: Array<[string[], string]> = [
        [['--mount', 'type=bind,target=/x'], 'invalid mount config for type "bind": field Source must not be empty'],
        [['--mount', 'type=nfs,target=/x'], 'invalid mount config for type "nfs": mount type unknown'],
        [['--mount', `type=bind,src=${join(c().work, 'missing')},dst=/x`], 'bind source path does not exist'],
        [['--tmpfs', 'rel'], "invalid mount path: 'rel' mount path must be absolute"],
        [['--add-host', 'nocolon'], 'bad format for add-host'],
        [['--dns', 'not-an-ip'], 'IP address is not correctly formatted: not-an-ip'],
        [['--ulimit', 'bogus=1'], 'invalid ulimit type: bogus'],
        [['--stop-signal', 'SIGBOGUS'], 'Invalid signal: SIGBOGUS'],
        [['--expose', 'x'], 'invalid range format for --expose'],
        [['--health-interval', '-1s', '--health-cmd', 'true'], '--health-interval cannot be negative'],
        [['--no-healthcheck', '--health-cmd', 'true'], '--no-healthcheck conflicts with --health-* options'],
        [['--log-driver', 'syslog2'], 'error looking up logging plugin syslog2: plugin "syslog2" not found'],
        [['--log-opt', 'max-file=x', '--log-opt', 'max-size=1m'], 'failed to initialize logging driver: strconv.Atoi: parsing "x": invalid syntax'],
        [['-p', '8090-8092:80-81'], 'invalid ranges specified'],
        [['--platform', 'linux/arm64'], 'is not supported'],
        [['--label-file', '/nonexistent/labels'], 'open /nonexistent/labels: no such file or directory'],
        [['--env-file', '/nonexistent/env'], 'open /nonexistent/env: no such file or directory'],
        [['--shm-size', 'lots'], '--shm-size'],
      ];
      const before = ok(c(), ['ps', '-aq']);
      for (const [flags, why] of bad) {
        for (const verb of ['run', 'create']) {
          const r = sk(c(), [verb, ...flags, 'diamol/base', 'true']);
          // A missing bind source is the daemon's check in Docker: `create` exits 1 for it (run 125).
          const daemonSide = verb === 'create' && why === 'bind source path does not exist';
          expect(r.status, `${verb} ${flags.join(' ')}: ${r.stderr}`).toBe(daemonSide ? 1 : 125);
          expect(r.stderr, flags.join(' ')).toContain(why);
          expect(r.stderr).not.toMatch(/^node:|\n\s+at /m);
        }
      }
      expect(ok(c(), ['ps', '-aq'])).toBe(before);
      // The same for a user argument that Node itself would parse (Node 20 reads --env-file anywhere).
      const r = sk(c(), ['run', '--rm', '--env-file=/nonexistent/env', 'diamol/base', 'true']);
      expect(r.status).toBe(125);
      expect(r.stderr).toContain('skiff: open /nonexistent/env: no such file or directory');
      expect(ok(c(), ['ps', '-aq'])).toBe(before);
    }, 120_000);
  });
}
