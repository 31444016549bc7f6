// Remove a container's cgroup — also after a crash, when processes may still be in it: kill them all
// (cgroup.kill, Linux ≥ 5.14; else SIGKILL each pid), wait until the kernel says the cgroup is
// unpopulated, then rmdir depth-first (a container with its own cgroup namespace may have made children).
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';
import { detectCgroups, parentName } from './detect.js';
import { checkCgroupName, cgroupFileExists, readKeyed, readWords, writeCgroupFile } from './utils.js';

function childCgroups(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(dir, d.name));
  } catch {
    return [];
  }
}

function killAll(dir: string): void {
  if (cgroupFileExists(dir, 'cgroup.kill')) {
    writeCgroupFile(dir, 'cgroup.kill', '1', 'SIGKILL every process in the cgroup and its children, atomically (no fork can escape)');
    return;
  }
  for (const sub of childCgroups(dir)) killAll(sub);
  for (const pid of readWords(dir, 'cgroup.procs')) {
    trace.step('cgroup', `kill -9 ${pid}`, 'no cgroup.kill on this kernel: kill the cgroup\'s processes one by one');
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

function populated(dir: string): boolean {
  const ev = readKeyed(dir, 'cgroup.events');
  if (ev) return ev['populated'] === 1;
  return readWords(dir, 'cgroup.procs').length > 0;
}

function rmdirTree(dir: string): void {
  for (const sub of childCgroups(dir)) rmdirTree(sub);
  trace.step('cgroup', `rmdir ${dir}`, 'a cgroup is removed with rmdir once it has no processes and no children');
  rmdirSync(dir);
}

export async function removeCgroupDir(dir: string, why: string, timeoutMs = 5000): Promise<void> {
  if (!existsSync(dir)) return;
  trace.step('cgroup', `remove ${dir}`, why);
  if (populated(dir)) {
    killAll(dir);
    const deadline = Date.now() + timeoutMs;
    // Killed processes leave once their parents reap them (or at once when orphaned).
    while (populated(dir)) {
      if (Date.now() > deadline) {
        throw new SkiffError('ECGROUP', `processes in ${dir} did not exit after SIGKILL`, 'a process stuck in the kernel (D state) cannot die: see `cat ' + join(dir, 'cgroup.procs') + '`, then retry');
      }
      await sleep(10);
    }
  }
  try {
    rmdirTree(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw new SkiffError('ECGROUP', `cannot remove ${dir}: ${code}`, 'retry `skiff rm`; `skiff doctor` shows what skiff may do with cgroups here', { cause: e });
  }
}

/** Remove the container's cgroup if there is one, killing whatever still runs in it. */
export async function removeContainerCgroup(id: string): Promise<void> {
  checkCgroupName(id);
  const env = detectCgroups();
  if (!env.parent) return;
  await removeCgroupDir(join(env.parent, id), `container ${id.slice(0, 12)} is being removed`);
  // The default store keeps its "skiff" parent (as Docker keeps its own); a private store's parent
  // (tests, SKIFF_ROOT) goes with its last container, so test runs leave no empty cgroups behind.
  removePrivateParentIfEmpty(env.parent);
}

export function removePrivateParentIfEmpty(parent: string): void {
  if (parentName() === 'skiff' || !existsSync(parent) || childCgroups(parent).length > 0) return;
  try {
    trace.step('cgroup', `rmdir ${parent}`, "the store's last container cgroup is gone");
    rmdirSync(parent);
  } catch {
    /* a container of this store was created meanwhile: keep it */
  }
}

/**
 * After a crash: remove every container cgroup under skiff's parent whose container no longer exists.
 * Returns the ids removed. Only this store's parent is touched (see parentName()).
 */
export async function reconcileCgroups(liveIds: Iterable<string>): Promise<string[]> {
  const env = detectCgroups();
  if (!env.base) return [];
  const parent = join(env.base, parentName());
  const live = new Set(liveIds);
  const removed: string[] = [];
  for (const dir of childCgroups(parent)) {
    const id = dir.slice(parent.length + 1);
    if (live.has(id)) continue;
    await removeCgroupDir(dir, `no container ${id.slice(0, 12)} in the store any more (left by a crash)`);
    removed.push(id);
  }
  removePrivateParentIfEmpty(parent);
  return removed;
}
