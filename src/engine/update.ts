// `skiff update`: change a container's limits — written to its cgroup when it runs, and kept in its
// record (HostConfig) so the next start applies them too, as Docker does.
import { parseLimits, updateContainerCgroup, type Limits } from '../cgroups/index.js';
import { configPath, readConfig, resolveContainer, withContainerLock } from '../state/containers.js';
import { refreshState } from '../state/liveness.js';
import { writeJsonAtomic } from '../state/atomic.js';
import { SkiffError } from '../errors.js';

export interface UpdateFlags { memory?: string; memorySwap?: string; cpus?: string; cpuShares?: string; pidsLimit?: string; cpusetCpus?: string; restart?: string }

export async function updateContainer(ref: string, f: UpdateFlags): Promise<string> {
  const limits: Limits = parseLimits({ memory: f.memory, memorySwap: f.memorySwap, cpus: f.cpus, cpuShares: f.cpuShares, pidsLimit: f.pidsLimit, cpusetCpus: f.cpusetCpus });
  if (Object.keys(limits).length === 0 && !f.restart) {
    throw new SkiffError('EUSAGE', 'you must provide one or more flags when using this command', 'e.g. skiff update --memory 256m --cpus 0.5 CONTAINER');
  }
  const id = resolveContainer(ref);
  const state = await refreshState(id);
  if (state.Running) await updateContainerCgroup(id, limits);
  await withContainerLock(id, () => {
    const c = readConfig(id);
    const h = c.HostConfig;
    if (limits.memory !== undefined) h.Memory = limits.memory;
    if (limits.memorySwap !== undefined) h.MemorySwap = limits.memorySwap;
    if (limits.nanoCpus !== undefined) h.NanoCpus = limits.nanoCpus;
    if (limits.cpuShares !== undefined) h.CpuShares = limits.cpuShares;
    if (limits.pidsLimit !== undefined) h.PidsLimit = limits.pidsLimit;
    if (limits.cpusetCpus !== undefined) h.CpusetCpus = limits.cpusetCpus;
    if (f.restart) h.RestartPolicy = parseRestartPolicy(f.restart);
    writeJsonAtomic(configPath(id), c);
  });
  return id;
}

/** Docker's --restart: no, always, unless-stopped, on-failure[:max-retries]. */
export function parseRestartPolicy(s: string): { Name: string; MaximumRetryCount: number } {
  const [name, max] = s.split(':');
  if (name === 'no' || name === 'always' || name === 'unless-stopped') {
    if (max !== undefined) throw new SkiffError('EUSAGE', `maximum retry count cannot be used with restart policy '${name}'`, 'only on-failure takes :N');
    return { Name: name === 'no' ? 'no' : name, MaximumRetryCount: 0 };
  }
  if (name === 'on-failure') {
    const n = max === undefined ? 0 : Number(max);
    if (!Number.isInteger(n) || n < 0) throw new SkiffError('EUSAGE', `invalid restart policy: maximum retry count must be a positive integer: ${max}`, 'e.g. --restart on-failure:3');
    return { Name: 'on-failure', MaximumRetryCount: n };
  }
  throw new SkiffError('EUSAGE', `invalid restart policy '${s}'`, 'use no, always, unless-stopped or on-failure[:N]');
}
