// `skiff run` with Docker's limit flags on a real cgroup v2 kernel (inside the QEMU VM of
// scripts/test-vm.mjs): the container is born inside its cgroup, the limits hold, inspect and stats
// show them, an OOM kill is recorded as Docker records it, and rm leaves no cgroup behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const SKIFF = join(root, 'bin/skiff');
let store = '';

function skiff(...args: string[]) {
  return spawnSync(SKIFF, args, { encoding: 'utf8', env: { ...process.env, SKIFF_ROOT: store }, timeout: 120_000 });
}

function cgroupDirs(): string[] {
  const base = '/sys/fs/cgroup';
  return readdirSync(base).filter((d) => d.startsWith('skiff')).flatMap((p) => readdirSync(join(base, p), { withFileTypes: true }).filter((e) => e.isDirectory() && /^[0-9a-f]{64}$/.test(e.name)).map((e) => e.name));
}

before(() => {
  store = mkdtempSync('/tmp/skiff-vm-run-');
  const r = skiff('pull', 'diamol/base');
  assert.equal(r.status, 0, r.stderr);
});
after(() => rmSync(store, { recursive: true, force: true }));

test('--memory: a hog is OOM-killed (exit 137, State.OOMKilled true) and the cgroup goes with rm', () => {
  const r = skiff('run', '--name', 'hog', '--network', 'none', '--memory', '32m', 'diamol/base', 'sh', '-c', 'tail /dev/zero');
  assert.equal(r.status, 137, r.stderr);
  const st = skiff('inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}}', 'hog');
  assert.equal(st.stdout.trim(), `true 137 ${32 * 1024 * 1024}`);
  assert.equal(skiff('rm', 'hog').status, 0);
  assert.deepEqual(cgroupDirs(), []);
});

test('--pids-limit stops a fork bomb inside the container', () => {
  const r = skiff('run', '--rm', '--network', 'none', '--pids-limit', '20', 'diamol/base', 'sh', '-c',
    // Once the limit is reached nothing can fork, not even $(…): read the counters with builtins only.
    '(i=0; while [ $i -lt 60 ]; do sleep 30 & i=$((i+1)); done) 2>/dev/null; read n < /sys/fs/cgroup/pids.current; read m < /sys/fs/cgroup/pids.max; read e < /sys/fs/cgroup/pids.events; echo "running=$n max=$m events=$e"');
  assert.equal(r.status, 0, r.stderr);
  const running = Number(/running=(\d+)/.exec(r.stdout)?.[1]);
  assert.ok(running <= 20, `${running} processes under a limit of 20 (${r.stdout})`);
  assert.match(r.stdout, /max=20 events=max [1-9]/);
});

test('the container sees its own cgroup as / and its limits in cgroup files; stats show the limit', () => {
  const id = skiff('run', '-d', '--network', 'none', '--memory', '64m', '--cpus', '0.5', 'diamol/base', 'sh', '-c', 'cat /proc/self/cgroup; cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max; sleep 60').stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const stats = skiff('stats', '--no-stream', id.slice(0, 12));
  assert.equal(stats.status, 0, stats.stderr);
  assert.match(stats.stdout, /\/ 64MiB/);
  const logs = skiff('logs', id).stdout;
  assert.match(logs, /^0::\/$/m);
  assert.match(logs, /^67108864$/m);
  assert.match(logs, /^50000 100000$/m);
  assert.equal(skiff('rm', '-f', id).status, 0);
  assert.deepEqual(cgroupDirs(), []);
  assert.equal(existsSync(join(store, 'containers', id)), false);
});

test('exec into a container with a cgroup (cgroup2 with nsdelegate, as systemd mounts it): the process joins its cgroup and cgroup namespace', () => {
  const id = skiff('run', '-d', '--network', 'none', '--memory', '64m', 'diamol/base', 'sleep', '60').stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  // The kernel refuses CLONE_INTO_CGROUP from inside a cgroup namespace whose root the caller's cgroup lies
  // outside of (nsdelegate): a launcher that joined the cgroup namespace first failed here (ENOENT, 126).
  const r = skiff('exec', id.slice(0, 12), 'sh', '-c', 'cat /proc/self/cgroup; cat /sys/fs/cgroup/memory.max');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^0::\/$/m);
  assert.match(r.stdout, /^67108864$/m);
  assert.equal(skiff('rm', '-f', id).status, 0);
  assert.deepEqual(cgroupDirs(), []);
});
