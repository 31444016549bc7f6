// `stats` where the container has no cgroup (this kind of hybrid host: cgroup v2 without controllers).
// The container's processes are exactly those in its pid namespace, so CPU time, memory and the pid
// count can still be summed from /proc — an honest approximation (RSS, not charged memory), shown as such.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { CgroupStats } from '../cgroups/index.js';

const TICKS_PER_SEC = 100; // USER_HZ on every Linux ABI skiff runs on
const PAGE = 4096;

export function procfsStats(containerPid: number): CgroupStats | undefined {
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${containerPid}/ns/pid`);
  } catch {
    return undefined;
  }
  let ticks = 0, rss = 0, pids = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) !== ns) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime + stime
      rss += Number(f[21]) * PAGE;
      pids += Number(f[17]); // num_threads: pids.current counts tasks
    } catch {
      // exited while we looked
    }
  }
  return {
    at: performance.now(), cpuUsageUsec: (ticks * 1_000_000) / TICKS_PER_SEC, memoryCurrent: rss, inactiveFile: 0,
    memoryUsage: rss, memoryLimit: undefined, blockRead: undefined, blockWrite: undefined, pids, oomKills: undefined,
  };
}

/** Bytes received and sent on the container's interfaces (its netns, seen through its pid), lo excluded. */
export function netCounters(containerPid: number): { rx: number; tx: number } | undefined {
  try {
    const lines = readFileSync(`/proc/${containerPid}/net/dev`, 'utf8').split('\n').slice(2);
    let rx = 0, tx = 0;
    for (const l of lines) {
      const [iface, rest] = l.split(':');
      if (!rest || iface!.trim() === 'lo') continue;
      const f = rest.trim().split(/\s+/).map(Number);
      rx += f[0]!;
      tx += f[8]!;
    }
    return { rx, tx };
  } catch {
    return undefined;
  }
}
