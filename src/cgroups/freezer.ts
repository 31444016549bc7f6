// `pause`/`unpause`: cgroup v2's freezer. It is not a controller but a core file of every non-root v2
// cgroup (`cgroup.freeze`, kernel ≥ 5.2), so it works on a hybrid host too, wherever the container has
// a v2 cgroup of its own. Writing 1 asks the kernel to stop every task; `cgroup.events` says `frozen 1`
// once they all are (a task in an uninterruptible sleep can take a moment).
import { join } from 'node:path';
import { SkiffError } from '../errors.js';
import { cgroupFileExists, readCgroupFile, writeCgroupFile } from './utils.js';

/** Why this container cannot be frozen, or undefined when it can. */
export function freezerProblem(cgroupDir: string | undefined): string | undefined {
  if (!cgroupDir) return 'it has no cgroup v2 of its own (rootless without a delegated cgroup, or no cgroup2 mount): the freezer lives in the cgroup';
  if (!cgroupFileExists(cgroupDir, 'cgroup.freeze')) return `${join(cgroupDir, 'cgroup.freeze')} does not exist (the kernel has no cgroup v2 freezer: it needs Linux 5.2 or later)`;
  return undefined;
}

function frozen(dir: string): boolean {
  return /^frozen 1$/m.test(readCgroupFile(dir, 'cgroup.events') ?? '');
}

/** Freeze (`on`) or thaw the cgroup and wait until the kernel reports it done (at most `timeoutMs`). */
export async function setFrozen(dir: string, on: boolean, timeoutMs = 5000): Promise<void> {
  writeCgroupFile(dir, 'cgroup.freeze', on ? '1' : '0', on ? 'docker pause: stop every process of the container (cgroup v2 freezer)' : 'docker unpause: let them run again');
  const end = Date.now() + timeoutMs;
  while (frozen(dir) !== on) {
    if (Date.now() > end) throw new SkiffError('ECGROUP', `the kernel did not ${on ? 'freeze' : 'thaw'} ${dir} within ${timeoutMs / 1000}s`, 'a process may be stuck in an uninterruptible sleep; try again');
    await new Promise((r) => setTimeout(r, 10));
  }
}
