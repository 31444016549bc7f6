// cgroups on the machine the suite runs on. On a hybrid host (v1 controllers bound, cgroup v2 without
// any) a run without limits must still work, and a limit must be refused with ECGROUP naming the
// controller — before anything is created. On a unified host the same calls must apply the limit.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { itWhen, needRoot } from '../helpers/conditions.js';
import { resetStorePathsCache } from '../../src/state/paths.js';
import { checkCgroups, createContainerCgroup, detectCgroups, readCgroupStats, removeContainerCgroup, updateContainerCgroup, type Limits } from '../../src/cgroups/index.js';
import { SkiffError } from '../../src/errors.js';

const MiB = 1024 * 1024;
const id = () => randomBytes(32).toString('hex');
let store: string;

beforeAll(() => {
  store = mkdtempSync('/tmp/skiff-cg-');
  process.env.SKIFF_ROOT = store;
  resetStorePathsCache();
});

afterAll(() => {
  const env = detectCgroups();
  // Our store's parent cgroup, if a test made it (it is empty by now).
  if (env.parent && existsSync(env.parent)) rmdirSync(env.parent);
  delete process.env.SKIFF_ROOT;
  resetStorePathsCache();
  rmSync(store, { recursive: true, force: true });
});

const ALL: [keyof Limits, Limits, string][] = [
  ['memory', { memory: 64 * MiB }, '--memory: the memory controller'],
  ['memorySwap', { memory: 64 * MiB, memorySwap: 128 * MiB }, '--memory: the memory controller'],
  ['nanoCpus', { nanoCpus: 0.5e9 }, '--cpus: the cpu controller'],
  ['cpuShares', { cpuShares: 512 }, '--cpu-shares: the cpu controller'],
  ['pidsLimit', { pidsLimit: 100 }, '--pids-limit: the pids controller'],
  ['cpusetCpus', { cpusetCpus: '0' }, '--cpuset-cpus: the cpuset controller'],
];

describe('cgroups on this host', () => {
  itWhen([needRoot], 'a run without limits works: a plain cgroup, or none', async () => {
    const cid = id();
    const dir = await createContainerCgroup(cid, {});
    if (dir === undefined) {
      // no usable cgroup v2 at all: nothing to do, nothing made
      expect(detectCgroups().base).toBeUndefined();
      return;
    }
    expect(dir).toBe(join(detectCgroups().parent!, cid));
    // A process inside it: the cgroup tracks it (cpu.stat exists even without controllers) …
    const child = spawn('sh', ['-c', `echo $$ > ${dir}/cgroup.procs && exec sleep 60`], { stdio: 'ignore' });
    const gone = new Promise((r) => child.on('exit', (_c, s) => r(s)));
    for (let i = 0; i < 200 && readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim() === ''; i++) await new Promise((r) => setTimeout(r, 10));
    expect(readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim()).toBe(String(child.pid));
    const s = await readCgroupStats(cid);
    expect(typeof s.cpuUsageUsec).toBe('number');
    // … and rm kills what is left and removes it.
    await removeContainerCgroup(cid);
    expect(await gone).toBe('SIGKILL');
    expect(existsSync(dir)).toBe(false);
    // a private store's parent goes with its last container: test runs leave no empty cgroups
    expect(existsSync(detectCgroups().parent!)).toBe(false);
  });

  for (const [key, limits, words] of ALL) {
    itWhen([needRoot], `${key}: applied where the controller exists, else ECGROUP naming it and nothing created`, async () => {
      const env = detectCgroups();
      const cid = id();
      const parentBefore = env.parent ? existsSync(env.parent) : false;
      const controller = words.match(/the (\w+) controller/)![1]!;
      if (env.available.includes(controller)) {
        const dir = (await createContainerCgroup(cid, limits))!;
        expect(existsSync(dir)).toBe(true);
        await removeContainerCgroup(cid);
        expect(existsSync(dir)).toBe(false);
        return;
      }
      const err = await createContainerCgroup(cid, limits).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SkiffError);
      expect((err as SkiffError).code).toBe('ECGROUP');
      expect((err as SkiffError).message).toContain(`cannot apply ${words} of cgroup v2 is not available here (`);
      expect((err as SkiffError).hint).toMatch(/systemd\.unified_cgroup_hierarchy=1|Delegate|subtree_control/);
      // nothing made: not the container's cgroup, not even skiff's parent
      if (env.parent) {
        expect(existsSync(join(env.parent, cid))).toBe(false);
        expect(existsSync(env.parent)).toBe(parentBefore);
      }
    });
  }

  itWhen([needRoot], 'hybrid: the error says which v1 hierarchy holds the controller; doctor says how to fix', async () => {
    const env = detectCgroups();
    if (env.mount?.layout !== 'hybrid') return; // unified hosts are covered above and in the VM suite
    const err = (await createContainerCgroup(id(), { memory: 64 * MiB }).catch((e: unknown) => e)) as SkiffError;
    expect(err.message).toMatch(/hybrid cgroups: memory is bound to cgroup v1 at \/sys\/fs\/cgroup\/memory/);
    const checks = checkCgroups();
    const mount = checks.find((c) => c.name === 'cgroup v2 mount')!;
    expect(mount.ok).toBe(false);
    expect(mount.fix).toContain('systemd.unified_cgroup_hierarchy=1');
    expect(checks.find((c) => c.name === 'memory controller')!.detail).toMatch(/bound to cgroup v1.*--memory/);
    // update of a container that never got limits fails the same way
    await expect(updateContainerCgroup(id(), { pidsLimit: 5 })).rejects.toMatchObject({ code: 'ECGROUP' });
    // no stray cgroups of this store
    if (env.parent && existsSync(env.parent)) expect(readdirSync(env.parent).filter((f) => /^[0-9a-f]{64}$/.test(f))).toEqual([]);
  });
});
