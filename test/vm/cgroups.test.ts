// cgroup v2 on a real unified-hierarchy kernel: runs inside the QEMU VM of scripts/test-vm.mjs, as root,
// with real processes put into the container cgroup before they exec (a shell writes its own pid into
// cgroup.procs, then execs the workload — what the native launcher does with CLONE_INTO_CGROUP).
// node:test, not vitest: under TCG emulation vitest alone takes ~60 s to start (see docs/cgroups.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  createContainerCgroup,
  detectCgroups,
  formatStatsRow,
  readCgroupStats,
  reconcileCgroups,
  removeContainerCgroup,
  updateContainerCgroup,
  cpuPercent,
  type Limits,
} from '../../src/cgroups/index.js';
import { isSkiffError } from '../../src/errors.js';

const MiB = 1024 * 1024;
const newId = () => randomBytes(32).toString('hex');
const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8').trim();

/** Start `script` inside the cgroup `dir`: the shell moves itself in, then execs the workload. */
function startIn(dir: string, script: string): ChildProcess {
  return spawn('sh', ['-c', `echo $$ > ${dir}/cgroup.procs && ${script}`], { stdio: 'ignore' });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function withCgroup(limits: Limits, fn: (dir: string, id: string) => Promise<void>): Promise<void> {
  const id = newId();
  const dir = await createContainerCgroup(id, limits);
  assert.ok(dir, 'a cgroup directory on a cgroup v2 machine');
  try {
    await fn(dir, id);
  } finally {
    await removeContainerCgroup(id);
  }
  assert.equal(existsSync(dir), false, 'removed');
}

if (process.env.SKIFF_VM_CHILD) {
  await childMain();
} else {
  registerTests();
}

/** Runs as an unprivileged user (see the rootless tests): one createContainerCgroup, result on stdout. */
async function childMain(): Promise<void> {
  const limits = JSON.parse(process.env.SKIFF_VM_CHILD!) as Limits;
  try {
    const dir = await createContainerCgroup('rootless0', limits);
    const own = readFileSync('/proc/self/cgroup', 'utf8').trim();
    process.stdout.write(JSON.stringify({ dir: dir ?? null, own }));
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: isSkiffError(e) ? e.code : 'other', message: (e as Error).message }));
  }
}

function runAsNobody(cgroup: string, limits: Limits, skiffRoot: string): Promise<Record<string, string | null>> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn('sh', ['-c', `echo $$ > ${cgroup}/cgroup.procs && exec setpriv --reuid=65534 --regid=65534 --clear-groups node ${self}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, SKIFF_VM_CHILD: JSON.stringify(limits), SKIFF_ROOT: skiffRoot, HOME: '/tmp' },
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  return exited(child).then(() => JSON.parse(out));
}

function registerTests(): void {
  test('detects the unified hierarchy and its controllers', () => {
    const env = detectCgroups();
    assert.equal(env.mount?.layout, 'unified');
    assert.equal(env.base, '/sys/fs/cgroup');
    for (const c of ['cpu', 'memory', 'pids', 'io', 'cpuset']) assert.ok(env.available.includes(c), `${c} available`);
  });

  test('memory hog is OOM-killed at --memory', async () => {
    await withCgroup({ memory: 32 * MiB }, async (dir, id) => {
      assert.equal(read(dir, 'memory.max'), String(32 * MiB));
      // coreutils tail buffers a "line" of /dev/zero that never ends: memory grows until the kill.
      const hog = startIn(dir, 'exec tail /dev/zero');
      const r = await exited(hog);
      assert.equal(r.signal, 'SIGKILL', 'killed by SIGKILL (exit 137 for a container)');
      const s = await readCgroupStats(id);
      assert.ok((s.oomKills ?? 0) >= 1, `oom_kill counted (${s.oomKills})`);
      assert.match(read(dir, 'memory.events'), /oom_kill [1-9]/);
    });
  });

  test('--cpus 0.5 holds a busy loop near 50 %', async () => {
    await withCgroup({ nanoCpus: 0.5e9 }, async (dir, id) => {
      assert.equal(read(dir, 'cpu.max'), '50000 100000');
      const busy = startIn(dir, 'exec sh -c "while :; do :; done"');
      try {
        await sleep(500);
        const a = await readCgroupStats(id);
        await sleep(2500);
        const b = await readCgroupStats(id);
        const pct = cpuPercent(a, b)!;
        console.log(`busy loop under --cpus 0.5: ${pct.toFixed(1)} %`);
        assert.ok(pct >= 35 && pct <= 65, `CPU ${pct.toFixed(1)} % within 35–65 %`);
        assert.ok(Number(/nr_throttled (\d+)/.exec(read(dir, 'cpu.stat'))![1]) > 0, 'throttled by cpu.max');
      } finally {
        busy.kill('SIGKILL');
      }
    });
  });

  test('--pids-limit stops a fork bomb', async () => {
    await withCgroup({ pidsLimit: 12 }, async (dir) => {
      assert.equal(read(dir, 'pids.max'), '12');
      const bomb = startIn(dir, 'b() { b | b & }; b; sleep 20');
      let peak = 0;
      const end = Date.now() + 2000;
      while (Date.now() < end) {
        peak = Math.max(peak, Number(read(dir, 'pids.current')));
        await sleep(25);
      }
      assert.ok(peak <= 12, `never more than 12 tasks (peak ${peak})`);
      assert.ok(peak >= 2, `the bomb did fork (peak ${peak})`);
      assert.match(read(dir, 'pids.events'), /max [1-9]/, 'forks were refused at the limit');
      // rm while the bomb still runs: cgroup.kill takes every task down, then rmdir.
      await removeContainerCgroup(bombId(dir));
      assert.equal(existsSync(dir), false);
      await exited(bomb);
    });
  });

  test('stats match the cgroup files', async () => {
    await withCgroup({ memory: 64 * MiB, pidsLimit: 50 }, async (dir, id) => {
      const sleeper = startIn(dir, 'exec sleep 60');
      try {
        await waitFor('the process in the cgroup', () => read(dir, 'cgroup.procs') !== '');
        const s = await readCgroupStats(id);
        const memCurrent = Number(read(dir, 'memory.current'));
        const inactive = Number(/^inactive_file (\d+)$/m.exec(read(dir, 'memory.stat'))![1]);
        assert.equal(s.memoryLimit, 64 * MiB);
        assert.equal(s.pids, Number(read(dir, 'pids.current')));
        assert.equal(s.pids, 1);
        assert.ok(Math.abs(s.memoryCurrent! - memCurrent) < MiB, `memory.current ${s.memoryCurrent} ≈ ${memCurrent}`);
        assert.equal(s.inactiveFile, inactive);
        assert.equal(s.memoryUsage, Math.max(0, s.memoryCurrent! - s.inactiveFile!));
        const usage = Number(/^usage_usec (\d+)$/m.exec(read(dir, 'cpu.stat'))![1]);
        assert.ok(s.cpuUsageUsec! <= usage && s.cpuUsageUsec! > 0);
        assert.equal(s.oomKills, 0);
        assert.equal(typeof s.blockRead, 'number');
        const row = formatStatsRow({ id, name: 'vm_test', prev: s, cur: await readCgroupStats(id) });
        assert.equal(row[0], id.slice(0, 12));
        assert.match(row[3]!, / \/ 64MiB$/);
        assert.equal(row[7], '1');
      } finally {
        sleeper.kill('SIGKILL');
      }
    });
  });

  test('update changes limits of a running container', async () => {
    await withCgroup({ memory: 64 * MiB }, async (dir, id) => {
      const sleeper = startIn(dir, 'exec sleep 60');
      try {
        await updateContainerCgroup(id, { memory: 128 * MiB, pidsLimit: 5, nanoCpus: 1.5e9, cpuShares: 512 });
        assert.equal(read(dir, 'memory.max'), String(128 * MiB));
        assert.equal(read(dir, 'pids.max'), '5');
        assert.equal(read(dir, 'cpu.max'), '150000 100000');
        assert.equal(read(dir, 'cpu.weight'), '59');
        await updateContainerCgroup(id, { cpusetCpus: '0' });
        assert.equal(read(dir, 'cpuset.cpus'), '0');
      } finally {
        sleeper.kill('SIGKILL');
      }
    });
  });

  test('a value the kernel refuses is ECGROUP and leaves no cgroup', async () => {
    const id = newId();
    await assert.rejects(createContainerCgroup(id, { cpusetCpus: '0-63' }), (e: unknown) => isSkiffError(e) && e.code === 'ECGROUP' && /cpuset\.cpus/.test(e.message));
    assert.equal(existsSync(join(detectCgroups().parent!, id)), false);
  });

  test('remove after a crash kills leftovers; reconcile removes only dead containers', async () => {
    const live = newId();
    const dead = newId();
    const liveDir = (await createContainerCgroup(live, {}))!;
    const deadDir = (await createContainerCgroup(dead, {}))!;
    // Leftover processes of a "crashed" engine, one of them in a sub-cgroup the container made.
    const p1 = startIn(deadDir, 'exec sleep 60');
    mkdirSync(join(deadDir, 'inner'));
    const p2 = startIn(join(deadDir, 'inner'), 'exec sleep 60');
    await waitFor('processes in place', () => read(deadDir, 'cgroup.procs') !== '' && read(join(deadDir, 'inner'), 'cgroup.procs') !== '');
    const removed = await reconcileCgroups([live]);
    assert.deepEqual(removed, [dead]);
    assert.equal(existsSync(deadDir), false);
    assert.equal(existsSync(liveDir), true);
    assert.equal((await exited(p1)).signal, 'SIGKILL');
    assert.equal((await exited(p2)).signal, 'SIGKILL');
    await removeContainerCgroup(live);
    assert.equal(existsSync(liveDir), false);
    await removeContainerCgroup(live); // idempotent
  });

  test('rootless with a delegated cgroup: engine moves to a leaf, limits apply', async () => {
    const deleg = '/sys/fs/cgroup/deleg-test';
    writeFileSync('/sys/fs/cgroup/cgroup.subtree_control', '+cpu +memory +pids');
    mkdirSync(deleg);
    try {
      // What systemd does for user@.service with Delegate=yes: the user owns the directory and the
      // files that let it create children and move its processes.
      for (const f of ['', 'cgroup.procs', 'cgroup.subtree_control', 'cgroup.threads']) chownSync(join(deleg, f), 65534, 65534);
      const store = '/tmp/skiff-rootless-store';
      mkdirSync(store, { recursive: true });
      chownSync(store, 65534, 65534);
      const r = await runAsNobody(deleg, { memory: 32 * MiB, pidsLimit: 20 }, store);
      assert.equal(r.error, undefined, String(r.message));
      assert.ok(r.dir!.startsWith(`${deleg}/skiff-`), `container cgroup under the delegated one: ${r.dir}`);
      assert.match(r.own!, /\/deleg-test\/skiff-engine$/, 'the engine itself moved into its leaf');
      assert.equal(read(r.dir!, 'memory.max'), String(32 * MiB));
      assert.equal(read(r.dir!, 'pids.max'), '20');
      assert.match(read(deleg, 'cgroup.subtree_control'), /memory/);
      rmdirSync(r.dir!);
      rmdirSync(join(r.dir!, '..'));
      rmdirSync(join(deleg, 'skiff-engine'));
    } finally {
      rmdirSync(deleg);
    }
  });

  test('rootless without delegation: no limit → no cgroup; a limit → ECGROUP naming the controller', async () => {
    const plain = '/sys/fs/cgroup/not-delegated-test';
    mkdirSync(plain);
    try {
      const r1 = await runAsNobody(plain, {}, '/tmp/skiff-nodeleg');
      assert.equal(r1.error, undefined, String(r1.message));
      assert.equal(r1.dir, null);
      const r2 = await runAsNobody(plain, { memory: 32 * MiB }, '/tmp/skiff-nodeleg');
      assert.equal(r2.error, 'ECGROUP');
      assert.match(r2.message!, /cannot apply --memory: the memory controller of cgroup v2 is not available here \(.*not delegated/);
    } finally {
      rmdirSync(plain);
    }
  });
}

function bombId(dir: string): string {
  return dir.slice(dir.lastIndexOf('/') + 1);
}

