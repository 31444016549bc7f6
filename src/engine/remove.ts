// Removing containers: `rm` (refuses a running one unless forced) and `container prune` (every
// stopped one). Stopping and freeing outside resources come in through RemoveDeps.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { deleteContainerRecord, readConfig } from '../state/containers.js';
import { listContainers, refreshState } from '../state/liveness.js';
import { expectsProcess } from '../state/container-record.js';
import { defaultRemoveDeps, type RemoveDeps } from './remove-deps.js';
import { SkiffError } from '../errors.js';

export async function removeContainer(id: string, opts: { force?: boolean } = {}, deps: RemoveDeps = defaultRemoveDeps): Promise<void> {
  const state = await refreshState(id);
  if (expectsProcess(state)) {
    if (!opts.force) {
      // Docker 25+'s wording (the daemon's conflict error), then skiff's hint naming the two ways out.
      const name = readConfig(id).Name;
      throw new SkiffError('ESTATE', `cannot remove container "/${name}": container is running: stop the container before removing or force remove`, `\`skiff stop ${name}\` first, or \`skiff rm -f ${name}\``, { exitCode: 1 });
    }
    await deps.stop(id);
  }
  await deps.release(id);
  await deleteContainerRecord(id);
}

/** Bytes under `dir`, not following links (what removing it gives back). */
export function diskUsage(dir: string): number {
  let total = 0;
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.size;
  for (const name of readdirSync(dir)) total += diskUsage(join(dir, name));
  return total;
}

export interface PruneResult { deleted: string[]; reclaimedBytes: number }

/** `container prune`: remove every container that is not running; `until` keeps newer ones (ms). */
export async function pruneContainers(opts: { until?: number } = {}, deps: RemoveDeps = defaultRemoveDeps): Promise<PruneResult> {
  const deleted: string[] = [];
  let reclaimedBytes = 0;
  for (const r of await listContainers()) {
    if (expectsProcess(r.state)) continue;
    if (opts.until !== undefined && Date.parse(r.config.Created) > opts.until) continue;
    const upper = r.config.Rootfs?.upperDir;
    const size = upper ? diskUsage(upper) : 0;
    try {
      await removeContainer(r.config.Id, {}, deps);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ENOCONTAINER' || code === 'ESTATE') continue; // removed or started meanwhile
      throw e;
    }
    deleted.push(r.config.Id);
    reclaimedBytes += size;
  }
  return { deleted, reclaimedBytes };
}
