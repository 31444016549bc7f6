// POST /containers/{id}/update: moby's UpdateConfig body as the flags `skiff update` takes. A field
// skiff cannot apply is a 400 that names it, never silently dropped (as create-body.ts does).
import { ApiError } from './errors.js';
import type { UpdateFlags } from '../engine/update.js';

const SUPPORTED = new Set(['Memory', 'MemorySwap', 'NanoCpus', 'CpuShares', 'PidsLimit', 'CpusetCpus', 'RestartPolicy']);

/** A zero, empty or null value is what clients send for "unchanged". */
function isUnset(v: unknown): boolean {
  return v === undefined || v === null || v === 0 || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);
}

export function updateFlagsFromBody(body: Record<string, unknown>): UpdateFlags {
  for (const [k, v] of Object.entries(body)) {
    if (!SUPPORTED.has(k) && !isUnset(v)) throw new ApiError(400, `skiff does not support updating ${k} yet`);
  }
  const f: UpdateFlags = {};
  const num = (k: string) => (typeof body[k] === 'number' && body[k] !== 0 ? body[k] as number : undefined);
  if (num('Memory') !== undefined) f.memory = String(num('Memory'));
  if (num('MemorySwap') !== undefined) f.memorySwap = String(num('MemorySwap'));
  if (num('NanoCpus') !== undefined) f.cpus = String(num('NanoCpus')! / 1e9);
  if (num('CpuShares') !== undefined) f.cpuShares = String(num('CpuShares'));
  if (typeof body.PidsLimit === 'number') f.pidsLimit = String(body.PidsLimit);
  if (typeof body.CpusetCpus === 'string' && body.CpusetCpus) f.cpusetCpus = body.CpusetCpus;
  const rp = body.RestartPolicy as { Name?: string; MaximumRetryCount?: number } | undefined;
  if (rp?.Name) f.restart = rp.Name === 'on-failure' && rp.MaximumRetryCount ? `on-failure:${rp.MaximumRetryCount}` : rp.Name;
  return f;
}
