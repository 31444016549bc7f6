// One sample of a container's cgroup counters, as `docker stats` reads them on cgroup v2. A value is
// undefined when its controller is not enabled here (on a hybrid host only cpu.stat exists).
import { existsSync } from 'node:fs';
import { SkiffError } from '../errors.js';
import { containerCgroupDir, detectCgroups } from './detect.js';
import { readCgroupFile, readCgroupNumber, readKeyed } from './utils.js';

export interface CgroupStats {
  /** performance.now() when sampled, ms (CPU % needs the interval between two samples). */
  at: number;
  /** cpu.stat usage_usec: CPU time of all the container's tasks, µs. */
  cpuUsageUsec: number | undefined;
  /** memory.current, bytes (includes page cache). */
  memoryCurrent: number | undefined;
  /** memory.stat inactive_file, bytes: cache the kernel can drop at once. */
  inactiveFile: number | undefined;
  /** What Docker shows as MEM USAGE: memory.current − inactive_file. */
  memoryUsage: number | undefined;
  /** memory.max, bytes; undefined when "max" (no limit). */
  memoryLimit: number | undefined;
  /** io.stat rbytes / wbytes summed over devices. */
  blockRead: number | undefined;
  blockWrite: number | undefined;
  /** pids.current. */
  pids: number | undefined;
  /** memory.events oom_kill: processes the OOM killer killed in this cgroup. */
  oomKills: number | undefined;
}

/** io.stat: "8:0 rbytes=… wbytes=… rios=… …" per device. */
export function parseIoStat(text: string | undefined): { read: number; write: number } | undefined {
  if (text === undefined) return undefined;
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    for (const kv of line.trim().split(/\s+/).slice(1)) {
      const [k, v] = kv.split('=');
      if (k === 'rbytes') read += Number(v);
      else if (k === 'wbytes') write += Number(v);
    }
  }
  return { read, write };
}

export function readStatsFrom(dir: string): CgroupStats {
  const cpu = readKeyed(dir, 'cpu.stat');
  const memStat = readKeyed(dir, 'memory.stat');
  const current = readCgroupNumber(dir, 'memory.current');
  const inactive = memStat?.['inactive_file'];
  const io = parseIoStat(readCgroupFile(dir, 'io.stat'));
  const maxText = readCgroupFile(dir, 'memory.max')?.trim();
  return {
    at: performance.now(),
    cpuUsageUsec: cpu?.['usage_usec'],
    memoryCurrent: current,
    inactiveFile: inactive,
    memoryUsage: current === undefined ? undefined : Math.max(0, current - (inactive ?? 0)),
    memoryLimit: maxText === undefined || maxText === 'max' ? undefined : Number(maxText),
    blockRead: io?.read,
    blockWrite: io?.write,
    pids: readCgroupNumber(dir, 'pids.current'),
    oomKills: readKeyed(dir, 'memory.events')?.['oom_kill'],
  };
}

export async function readCgroupStats(id: string): Promise<CgroupStats> {
  const dir = containerCgroupDir(id, detectCgroups());
  if (!dir || !existsSync(dir)) {
    throw new SkiffError('ECGROUP', `container ${id.slice(0, 12)} has no cgroup`, 'stats need cgroup v2: see `skiff doctor`');
  }
  return readStatsFrom(dir);
}
