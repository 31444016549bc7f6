// `docker stats` output: the same columns, units and rounding as docker/cli (go-units: memory in
// binary units with 4 significant digits, network and block I/O in decimal units with 3).
import { totalmem } from 'node:os';
import type { CgroupStats } from './stats.js';
import { bytesSize, humanSizeWithPrecision } from '../format/size.js';

export const STATS_HEADER = ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'];

/** go-units HumanSizeWithPrecision(n, 3), docker stats' I/O columns: 1.05kB, 0B. */
const humanSize = (n: number): string => humanSizeWithPrecision(n, 3);

/** CPU % between two samples: CPU time used / wall time, ×100 (one busy CPU = 100 %). */
export function cpuPercent(prev: CgroupStats | undefined, cur: CgroupStats): number | undefined {
  if (!prev || prev.cpuUsageUsec === undefined || cur.cpuUsageUsec === undefined) return undefined;
  const wallUs = (cur.at - prev.at) * 1000;
  if (wallUs <= 0) return undefined;
  return ((cur.cpuUsageUsec - prev.cpuUsageUsec) / wallUs) * 100;
}

export interface StatsRowInput {
  id: string;
  name: string;
  prev?: CgroupStats | undefined;
  cur: CgroupStats | undefined;
  /** Bytes received / sent by the container's interfaces (its netns counters), when known. */
  net?: { rx: number; tx: number } | undefined;
  /** Host memory, shown as the limit when memory.max is "max" (as Docker does). */
  hostMemory?: number;
}

/** The eight cells of one `docker stats` row. Unknown values print as "--", as Docker does. */
export function formatStatsRow(r: StatsRowInput): string[] {
  const cur = r.cur;
  const cpu = cur ? cpuPercent(r.prev, cur) : undefined;
  const limit = cur?.memoryLimit ?? r.hostMemory ?? totalmem();
  const usage = cur?.memoryUsage;
  const pct = (x: number | undefined) => (x === undefined ? '--' : `${x.toFixed(2)}%`);
  return [
    r.id.slice(0, 12),
    r.name.replace(/^\//, ''),
    pct(cpu),
    usage === undefined ? '-- / --' : `${bytesSize(usage)} / ${bytesSize(limit)}`,
    pct(usage === undefined ? undefined : (usage / limit) * 100),
    r.net ? `${humanSize(r.net.rx)} / ${humanSize(r.net.tx)}` : '-- / --',
    cur?.blockRead === undefined ? '-- / --' : `${humanSize(cur.blockRead)} / ${humanSize(cur.blockWrite ?? 0)}`,
    cur?.pids === undefined ? '--' : String(cur.pids),
  ];
}

/** Header + rows aligned as docker/cli's tabwriter does (min width 10, padding 3). */
export function formatStatsTable(rows: string[][]): string {
  const all = [STATS_HEADER, ...rows];
  const widths = STATS_HEADER.map((_, c) => Math.max(10, ...all.map((row) => (row[c] ?? '').length + 3)));
  return all.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join('')).join('\n') + '\n';
}
