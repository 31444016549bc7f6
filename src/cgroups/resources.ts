// Write limits into a container's cgroup: at creation, and for `skiff update` on a running container
// (cgroup v2 files take new values live; lowering memory.max below usage makes the kernel reclaim or OOM).
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';
import { cgroupFileExists, writeCgroupFile } from './utils.js';
import { existsSync } from 'node:fs';
import { limitFiles, requestedLimits, type Limits } from './limits.js';
import { containerCgroupDir, detectCgroups } from './detect.js';
import { checkLimitsSupported } from './support.js';

export function writeLimits(dir: string, limits: Limits): void {
  for (const f of limitFiles(limits)) {
    if (!cgroupFileExists(dir, f.file)) {
      // memory.swap.max is absent when the kernel does no swap accounting (swapaccount=0 or no swap
      // support): only an explicit --memory-swap has to fail for it.
      if (f.file === 'memory.swap.max' && limits.memorySwap === undefined) {
        trace.step('cgroup', `skip ${dir}/memory.swap.max`, 'the kernel keeps no swap accounting here; Docker would warn and go on');
        continue;
      }
      throw new SkiffError(
        'ECGROUP',
        `cannot apply ${f.flag}: ${dir}/${f.file} does not exist`,
        f.file === 'memory.swap.max' ? 'the kernel does no swap accounting: boot with swapaccount=1, or drop --memory-swap' : 'its controller is not enabled for this cgroup: see `skiff doctor`',
      );
    }
    writeCgroupFile(dir, f.file, f.value, f.why);
  }
}

/** `skiff update`: new limits for a container that may be running. Only the given limits change. */
export async function updateContainerCgroup(id: string, limits: Limits): Promise<void> {
  if (requestedLimits(limits).length === 0) return;
  const env = detectCgroups();
  checkLimitsSupported(env, limits);
  const dir = containerCgroupDir(id, env);
  if (!dir || !existsSync(dir)) {
    throw new SkiffError('ECGROUP', `container ${id.slice(0, 12)} has no cgroup to update`, 'it was started where cgroup v2 was not usable, or it is not running; start it again');
  }
  writeLimits(dir, limits);
}
