// `skiff top` and GET /containers/{id}/top: moby runs `ps` on the host with the user's ps options and
// keeps the rows of the container's processes (those in its cgroup, else its pid 1 and descendants);
// the same here.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import type { ContainerState } from '../state/container-record.js';
import { SkiffError } from '../errors.js';

function descendants(root: number): Set<number> {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, pp] of parent) if (out.has(pp) && !out.has(pid)) { out.add(pid); grew = true; }
  }
  return out;
}

function cgroupPids(dir: string | undefined): Set<number> | undefined {
  if (!dir) return undefined;
  try {
    return new Set(readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number));
  } catch {
    return undefined;
  }
}

export async function containerTop(s: ContainerState, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
  // Only option-like words reach ps (it runs on the host): no paths, no shell, nothing ps could open.
  if (!/^[\w\s,=-]*$/.test(psArgs)) throw new SkiffError('EUSAGE', `invalid ps arguments: ${psArgs}`, 'give ps options such as aux or -o pid,comm', { exitCode: 1 });
  const pids = cgroupPids(s.CgroupPath) ?? descendants(s.Pid);
  const { stdout } = await promisify(execFile)('ps', psArgs.split(/\s+/).filter(Boolean), { maxBuffer: 8 << 20 }).catch((e: { stderr?: string }) => {
    throw new SkiffError('EUSAGE', `ps: ${String(e.stderr ?? e).trim().split('\n')[0]}`, 'check the ps options', { exitCode: 1 });
  });
  const lines = stdout.split('\n').filter((l) => l.trim());
  const header = lines[0] ?? '';
  const titles = header.trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol < 0) throw new SkiffError('EUSAGE', "Couldn't find PID field in ps output", 'include the pid column (e.g. -o pid,comm)', { exitCode: 1 });
  const rows = lines.slice(1).map((l) => {
    const f = l.trim().split(/\s+/);
    return [...f.slice(0, titles.length - 1), f.slice(titles.length - 1).join(' ')];
  }).filter((f) => pids.has(Number(f[pidCol])));
  return { Titles: titles, Processes: rows };
}

/** The docker CLI's top table: tabwriter(20, 1, 3): every column at least 20 wide. */
export function topTable(t: { Titles: string[]; Processes: string[][] }): string {
  const rows = [t.Titles, ...t.Processes];
  const widths = t.Titles.map((_, i) => Math.max(20, ...rows.map((r) => (r[i] ?? '').length + 3)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('') + '\n').join('');
}
