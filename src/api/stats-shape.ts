// GET /containers/{id}/stats: moby's StatsJSON from skiff's sample of the container's cgroup (or /proc).
// The docker CLI computes CPU % from the cpu and system deltas between this and the previous sample.
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { ContainerRecord } from '../state/container-record.js';

/** Host CPU time in ns from /proc/stat's first line (what moby reports as system_cpu_usage). */
function systemCpuNs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 8).map(Number);
  return (f.reduce((a, b) => a + b, 0) * 1e9) / 100;
}

export interface DockerStats { read: string; cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage: number; online_cpus: number }; [k: string]: unknown }

export async function dockerStats(r: ContainerRecord, prev?: DockerStats): Promise<DockerStats> {
  const { sample } = await import('../engine/stats.js');
  const { netCounters } = await import('../engine/stats-procfs.js');
  const s = await sample(r);
  const net = r.state.Running ? netCounters(r.state.Pid) : undefined;
  const cpu = { cpu_usage: { total_usage: Math.round((s?.cpuUsageUsec ?? 0) * 1000), usage_in_kernelmode: 0, usage_in_usermode: 0 }, system_cpu_usage: systemCpuNs(), online_cpus: cpus().length, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  return {
    read: new Date().toISOString(), preread: prev?.read ?? '0001-01-01T00:00:00Z',
    pids_stats: { current: s?.pids ?? 0 },
    blkio_stats: { io_service_bytes_recursive: s ? [{ major: 0, minor: 0, op: 'read', value: s.blockRead ?? 0 }, { major: 0, minor: 0, op: 'write', value: s.blockWrite ?? 0 }] : null },
    num_procs: 0, storage_stats: {},
    cpu_stats: cpu,
    precpu_stats: prev?.cpu_stats ?? { cpu_usage: { total_usage: 0 }, system_cpu_usage: 0, online_cpus: cpus().length, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    memory_stats: s ? { usage: s.memoryCurrent ?? s.memoryUsage ?? 0, stats: { inactive_file: s.inactiveFile ?? 0 }, limit: s.memoryLimit ?? totalmem() } : {},
    name: `/${r.config.Name}`, id: r.config.Id,
    networks: net ? { eth0: { rx_bytes: net.rx, rx_packets: 0, rx_errors: 0, rx_dropped: 0, tx_bytes: net.tx, tx_packets: 0, tx_errors: 0, tx_dropped: 0 } } : undefined,
  };
}
