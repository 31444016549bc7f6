// skiff-oci's linux.resources on a real cgroup v2 kernel (inside the QEMU VM of scripts/test-vm.mjs,
// where cgroup2 is /sys/fs/cgroup with every controller): the init is in its cgroup before it runs,
// the limits are v2's files with runc's conversions and they hold (an OOM kill, a fork bomb stopped),
// pause/resume freeze it, update changes a limit live, delete removes the cgroup.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, ociRoot, skiffOci } from '../helpers/oci-bundle.js';

const CG = '/sys/fs/cgroup';
let root: ReturnType<typeof ociRoot>;
before(() => { root = ociRoot(); });
after(() => root.dispose());

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8').trim();
const state = (id: string) => JSON.parse(skiffOci(root.root, ['state', id]).stdout) as { status: string; pid: number };
/** The init's cgroup as the host sees it ("0::/path" in /proc/<pid>/cgroup). */
const cgroupOf = (pid: number) => join(CG, readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'))!.slice(3));

test('the limits are in v2 files before the init runs: memory.max, memory.swap.max, pids.max, cpu.max, cpu.weight', () => {
  const b = makeBundle();
  try {
    b.config.linux!.cgroupsPath = '/oci-vm/limits';
    b.config.linux!.resources = { memory: { limit: 64 << 20, swap: 64 << 20 }, pids: { limit: 32 }, cpu: { shares: 512, quota: 50000, period: 100000 } };
    b.config.process!.args = ['sleep', '60'];
    b.write();
    const c = skiffOci(root.root, ['create', '--bundle', b.dir, 'limits']);
    assert.equal(c.status, 0, c.stderr);
    const { pid } = state('limits');
    const dir = cgroupOf(pid);
    assert.equal(dir, join(CG, 'oci-vm/limits'));
    assert.equal(read(dir, 'memory.max'), String(64 << 20));
    if (existsSync(join(dir, 'memory.swap.max'))) assert.equal(read(dir, 'memory.swap.max'), '0');
    assert.equal(read(dir, 'pids.max'), '32');
    assert.equal(read(dir, 'cpu.max'), '50000 100000');
    assert.equal(read(dir, 'cpu.weight'), '20');
    // Live: a new pids limit, then pause and resume through cgroup.freeze.
    const upd = join(b.dir, 'update.json');
    spawnSync('sh', ['-c', `echo '{"pids":{"limit":40}}' > ${upd}`]);
    const u = skiffOci(root.root, ['update', '--resources', upd, 'limits']);
    assert.equal(u.status, 0, u.stderr);
    assert.equal(read(dir, 'pids.max'), '40');
    assert.equal(skiffOci(root.root, ['pause', 'limits']).status, 0);
    assert.match(read(dir, 'cgroup.freeze'), /^1$/);
    assert.equal(skiffOci(root.root, ['resume', 'limits']).status, 0);
    assert.match(read(dir, 'cgroup.freeze'), /^0$/);
    assert.equal(skiffOci(root.root, ['delete', '--force', 'limits']).status, 0);
    assert.equal(existsSync(dir), false);
  } finally {
    b.dispose();
  }
});

test('memory.limit holds: a hog is OOM-killed (exit 137)', () => {
  const b = makeBundle();
  try {
    b.config.linux!.resources = { memory: { limit: 32 << 20, swap: 32 << 20 } };
    b.config.process!.args = ['sh', '-c', 'tail /dev/zero'];
    b.write();
    const r = skiffOci(root.root, ['run', '--bundle', b.dir, 'hog'], { timeout: 120_000 });
    assert.equal(r.status, 137, r.stderr);
    assert.equal(existsSync(join(CG, 'skiff-oci/hog')), false);
  } finally {
    b.dispose();
  }
});

test('pids.limit holds: a fork bomb stops at the limit', () => {
  const b = makeBundle();
  try {
    b.config.linux!.resources = { pids: { limit: 20 } };
    b.config.process!.args = ['sh', '-c', '(i=0; while [ $i -lt 60 ]; do sleep 30 & i=$((i+1)); done) 2>/dev/null; exec sleep 60'];
    b.write();
    const c = skiffOci(root.root, ['create', '--bundle', b.dir, 'bomb']);
    assert.equal(c.status, 0, c.stderr);
    const dir = cgroupOf(state('bomb').pid);
    assert.equal(skiffOci(root.root, ['start', 'bomb']).status, 0);
    // pids.events counts the forks the limit refused.
    let events = 0;
    for (let i = 0; i < 200 && events === 0; i++) {
      events = Number(/max (\d+)/.exec(read(dir, 'pids.events'))?.[1] ?? 0);
      if (events === 0) spawnSync('sleep', ['0.05']);
    }
    assert.ok(events > 0, `no fork was refused: ${read(dir, 'pids.events')}`);
    assert.ok(Number(read(dir, 'pids.current')) <= 20, `pids.current ${read(dir, 'pids.current')} above the limit of 20`);
    assert.equal(skiffOci(root.root, ['delete', '--force', 'bomb']).status, 0);
    assert.equal(existsSync(dir), false);
  } finally {
    b.dispose();
  }
});
