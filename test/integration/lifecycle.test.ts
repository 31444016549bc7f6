// The chapter's day-to-day verbs through the real CLI, as root and rootless: run -d, ps, logs, exec,
// stop, start, restart, kill, create + start -a, inspect, rm -f — and 50 parallel run -d / rm -f
// cycles that leave no mount, process or state directory behind.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needRoot, needUserns, needCommand } from '../helpers/conditions.js';
import { skiff, skiffAs, tempStore, type Store } from '../helpers/skiff.js';
import { ensureTestUser } from '../helpers/users.js';
import { mountSnapshot, userStore } from '../helpers/engine.js';
import { spawn } from 'node:child_process';
import { SKIFF } from '../helpers/skiff.js';

let store: Store;
const sk = (...args: string[]) => skiff(args, { env: store.env });

function runtimeProcesses(root: string): string[] {
  // skiff-runtime supervisors of this store: their environment names the store.
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('skiff-runtime') && readFileSync(`/proc/${p}/environ`, 'utf8').includes(root);
    } catch {
      return false;
    }
  });
}

async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(() => {
  store = tempStore('skiff-life-');
});
afterAll(() => store?.dispose());

describe('lifecycle as root', () => {
  itWhen([needRoot], 'run -d prints the full id; ps shows Up; logs, exec, stop, start, restart, kill, rm -f', async () => {
    const run = sk('run', '-d', '--name', 'ticker', 'diamol/base', 'sh', '-c', 'trap "echo bye; exit 0" TERM; echo started; while true; do sleep 0.2; done');
    expect(run.status, run.stderr).toBe(0);
    const id = run.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(sk('ps').stdout).toMatch(new RegExp(`${id.slice(0, 12)}\\s+diamol/base\\s+"sh -c 'trap .*Up .*ticker`));
    await until('the log line', () => sk('logs', 'ticker').stdout.includes('started'));
    const ex = sk('exec', 'ticker', 'sh', '-c', 'echo $$; hostname; cat /proc/1/cmdline | tr "\\0" " "');
    expect(ex.status, ex.stderr).toBe(0);
    const [pid, host] = ex.stdout.split('\n');
    expect(Number(pid)).toBeGreaterThan(1);
    expect(host).toBe(id.slice(0, 12));
    expect(ex.stdout).toContain('sh -c trap');
    // a file written through exec is seen by the container's own processes
    expect(sk('exec', 'ticker', 'sh', '-c', 'echo edited > /tmp/note').status).toBe(0);
    expect(sk('exec', 'ticker', 'cat', '/tmp/note').stdout).toBe('edited\n');
    expect(sk('exec', 'ticker', 'no-such').status).toBe(127);

    expect(sk('stop', 'ticker').stdout).toBe('ticker\n');
    expect(sk('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'ticker').stdout.trim()).toBe('exited 0');
    expect(sk('logs', 'ticker').stdout).toContain('bye');
    expect(sk('ps', '-a').stdout).toMatch(/Exited \(0\) .* ago/);

    expect(sk('start', 'ticker').status).toBe(0);
    await until('running again', () => sk('inspect', '-f', '{{.State.Running}}', 'ticker').stdout.trim() === 'true');
    expect(sk('exec', 'ticker', 'cat', '/tmp/note').stdout).toBe('edited\n'); // same writable layer
    expect(sk('restart', '-t', '2', 'ticker').status).toBe(0);
    expect(sk('inspect', '-f', '{{.State.Running}}', 'ticker').stdout.trim()).toBe('true');
    expect(sk('kill', '-s', 'KILL', 'ticker').status).toBe(0);
    await until('killed', () => sk('inspect', '-f', '{{.State.Status}}', 'ticker').stdout.trim() === 'exited');
    expect(sk('inspect', '-f', '{{.State.ExitCode}}', 'ticker').stdout.trim()).toBe('137');
    expect(sk('kill', 'ticker').status).not.toBe(0);
    expect(sk('rm', '-f', 'ticker').status).toBe(0);
    expect(existsSync(join(store.root, 'containers', id))).toBe(false);
  }, 90_000);

  itWhen([needRoot], 'stop waits -t seconds for a pid 1 that ignores SIGTERM, then kills it', () => {
    const id = sk('run', '-d', 'diamol/base', 'sleep', '300').stdout.trim();
    const t0 = Date.now();
    expect(sk('stop', '-t', '1', id).status).toBe(0);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(8000);
    expect(sk('inspect', '-f', '{{.State.ExitCode}}', id).stdout.trim()).toBe('137');
    expect(sk('rm', id).status).toBe(0);
  }, 30_000);

  itWhen([needRoot], '--init: a static init is pid 1, forwards SIGTERM (fast stop) and passes the exit code', () => {
    const r = sk('run', '--rm', '--init', 'diamol/base', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; exit 3');
    expect(r.stdout).toMatch(/^\/sbin\/skiff-init -- sh -c/);
    expect(r.status).toBe(3);
    const id = sk('run', '-d', '--init', 'diamol/base', 'sleep', '300').stdout.trim();
    const t0 = Date.now();
    expect(sk('stop', id).status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000); // sleep got SIGTERM; without --init pid 1 ignores it for 10 s
    expect(sk('inspect', '-f', '{{.State.ExitCode}} {{.HostConfig.Init}}', id).stdout.trim()).toBe('143 true');
    expect(sk('rm', id).status).toBe(0);
  }, 30_000);

  itWhen([needRoot], 'create, then start -a runs it attached with its exit code', () => {
    const id = sk('create', '--name', 'later', 'diamol/base', 'sh', '-c', 'echo from-create; exit 4').stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(sk('ps', '-a', '--filter', 'name=later', '--format', '{{.Status}}').stdout.trim()).toBe('Created');
    const r = sk('start', '-a', 'later');
    expect(r.stdout).toBe('from-create\n');
    expect(r.status).toBe(4);
    expect(sk('rm', 'later').status).toBe(0);
  }, 30_000);

  itWhen([needRoot], 'run -d --rm removes itself when its process ends', async () => {
    const id = sk('run', '-d', '--rm', 'diamol/base', 'sh', '-c', 'sleep 0.5').stdout.trim();
    await until('self-removal', () => !existsSync(join(store.root, 'containers', id)));
  }, 30_000);

  itWhen([needRoot], '50 parallel run -d / rm -f cycles leave no mount, process or directory', async () => {
    const mounts = mountSnapshot();
    const dirs = new Set(readdirSync(join(store.root, 'containers')));
    const supervisors = new Set(runtimeProcesses(store.root));
    const cycle = () => new Promise<void>((resolve, reject) => {
      const run = spawn(SKIFF, ['run', '-d', '--network', 'none', 'diamol/base', 'sleep', '60'], { env: { ...process.env, ...store.env } });
      let out = '';
      run.stdout.on('data', (d) => (out += d));
      run.on('close', (code) => {
        if (code !== 0) return reject(new Error(`run -d exited ${code}`));
        const rm = spawn(SKIFF, ['rm', '-f', out.trim()], { env: { ...process.env, ...store.env } });
        let err = '';
        rm.stderr.on('data', (d) => (err += d));
        rm.on('close', (c) => (c === 0 ? resolve() : reject(new Error(`rm -f exited ${c}: ${err}`))));
      });
    });
    // 10 at a time: two cores, and every cycle starts two Node processes.
    for (let batch = 0; batch < 5; batch++) await Promise.all(Array.from({ length: 10 }, cycle));
    // Nothing new is left (an earlier test's --rm container may still be finishing and go away).
    expect(readdirSync(join(store.root, 'containers')).filter((d) => !dirs.has(d))).toEqual([]);
    expect(mountSnapshot()).toEqual(mounts);
    // No supervisor the cycles started is left (one of an earlier test may end meanwhile: that is fine).
    await until('supervisors gone', () => runtimeProcesses(store.root).every((p) => supervisors.has(p)), 10_000);
  }, 240_000);
});

describe('restart policies and update', () => {
  itWhen([needRoot], 'on-failure:2 restarts a failing container twice; always restarts until a user stops it', async () => {
    const bad = sk('run', '-d', '--restart', 'on-failure:2', 'diamol/base', 'sh', '-c', 'exit 3').stdout.trim();
    await until('two restarts', () => sk('inspect', '-f', '{{.RestartCount}} {{.State.Status}}', bad).stdout.trim() === '2 exited', 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(sk('inspect', '-f', '{{.RestartCount}} {{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}', bad).stdout.trim()).toBe('2 3 on-failure');
    const always = sk('run', '-d', '--restart', 'always', 'diamol/base', 'sleep', '0.3').stdout.trim();
    await until('restarted', () => Number(sk('inspect', '-f', '{{.RestartCount}}', always).stdout.trim()) >= 1, 20_000);
    expect(sk('stop', '-t', '1', always).status).toBe(0);
    const n = sk('inspect', '-f', '{{.RestartCount}}', always).stdout.trim();
    await new Promise((r) => setTimeout(r, 1500));
    expect(sk('inspect', '-f', '{{.RestartCount}} {{.State.Running}}', always).stdout.trim()).toBe(`${n} false`);
    const wrong = sk('run', '--restart', 'sometimes', 'diamol/base', 'true');
    expect(wrong.status).toBe(125);
    expect(wrong.stderr).toContain("invalid restart policy 'sometimes'");
    expect(sk('rm', '-f', bad, always).status).toBe(0);
  }, 90_000);

  itWhen([needRoot], 'update records new limits (and refuses, naming the controller, where cgroup v2 cannot apply them)', () => {
    const id = sk('run', '-d', 'diamol/base', 'sleep', '60').stdout.trim();
    const r = sk('update', '--memory', '64m', id);
    if (r.status === 0) {
      expect(sk('inspect', '-f', '{{.HostConfig.Memory}}', id).stdout.trim()).toBe(String(64 * 1024 * 1024));
    } else {
      // This machine's kind of host: hybrid cgroups, the memory controller bound to v1.
      expect(r.stderr).toMatch(/memory controller/);
      expect(sk('inspect', '-f', '{{.HostConfig.Memory}}', id).stdout.trim()).toBe('0');
    }
    expect(sk('update', id).stderr).toContain('you must provide one or more flags');
    expect(sk('rm', '-f', id).status).toBe(0);
  }, 30_000);
});

describe('volumes', () => {
  itWhen([needRoot], 'a named volume outlives its containers, binds read-only, and cannot go while in use', () => {
    expect(sk('volume', 'create', 'data').stdout).toBe('data\n');
    expect(sk('run', '--rm', '-v', 'data:/data', 'diamol/base', 'sh', '-c', 'echo persisted > /data/f').status).toBe(0);
    expect(sk('run', '--rm', '-v', 'data:/data:ro', 'diamol/base', 'cat', '/data/f').stdout).toBe('persisted\n');
    const ro = sk('run', '--rm', '-v', 'data:/data:ro', 'diamol/base', 'sh', '-c', 'echo x > /data/g');
    expect(ro.status).not.toBe(0);
    expect(sk('volume', 'ls').stdout).toMatch(/DRIVER\s+VOLUME NAME\nlocal\s+data\n/);
    const id = sk('run', '-d', '-v', 'data:/d', 'diamol/base', 'sleep', '60').stdout.trim();
    const busy = sk('volume', 'rm', 'data');
    expect(busy.status).toBe(1);
    expect(busy.stderr).toContain('volume is in use');
    expect(sk('rm', '-f', id).status).toBe(0);
    expect(sk('volume', 'rm', 'data').status).toBe(0);
    expect(sk('volume', 'ls', '-q').stdout).toBe('');
  }, 60_000);
});

describe('lifecycle rootless', () => {
  itWhen([needRoot, needUserns, needCommand('newuidmap')], 'run -d, exec, logs, stop, rm -f as an ordinary user', async () => {
    const user = ensureTestUser(true);
    const s = userStore(user, 'skiff-life-user-');
    const u = (...a: string[]) => skiffAs(user, a, s.env);
    try {
      const id = u('run', '-d', 'diamol/base', 'sh', '-c', 'echo hello-rootless; exec sleep 300').stdout.trim();
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      await until('log', () => u('logs', id).stdout.includes('hello-rootless'));
      expect(u('exec', id, 'hostname').stdout.trim()).toBe(id.slice(0, 12));
      expect(u('ps').stdout).toContain('Up ');
      expect(u('stop', '-t', '1', id).status).toBe(0);
      expect(u('ps', '-a').stdout).toMatch(/Exited \(137\)/);
      expect(u('rm', '-f', id).status).toBe(0);
      expect(u('ps', '-aq').stdout).toBe('');
    } finally {
      s.dispose();
    }
  }, 90_000);
});
void execFileSync;

describe('attach', () => {
  itWhen([needRoot, needCommand('script')], 'attach to a detached -it container: its pty, ctrl-p ctrl-q detaches, its exit code ends attach', async () => {
    const { spawnSync: run } = await import('node:child_process');
    const s = tempStore('skiff-attach-');
    try {
      const env = { ...process.env, ...s.env };
      const id = skiff(['run', '-d', '-it', 'diamol/base', 'sh'], { env: s.env }).stdout.trim();
      const a = run('sh', ['-c', `(sleep 1; printf 'echo attached-$((40+2))\\n'; sleep 0.5; printf '\\020\\021') | script -qec "${SKIFF} attach ${id}" /dev/null`], { encoding: 'utf8', env, timeout: 20_000 });
      expect(a.stdout).toContain('attached-42');
      expect(a.stderr + a.stdout).toContain('read escape sequence');
      expect(skiff(['inspect', '-f', '{{.State.Running}}', id], { env: s.env }).stdout.trim()).toBe('true');
      const b = run('sh', ['-c', `(sleep 1; printf 'exit 5\\n') | script -qec "${SKIFF} attach ${id}" /dev/null`], { encoding: 'utf8', env, timeout: 20_000 });
      expect(b.status).toBe(5);
      expect(skiff(['logs', id], { env: s.env }).stdout).toContain('attached-42');
    } finally {
      s.dispose();
    }
  }, 60_000);
});
