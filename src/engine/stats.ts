// `skiff stats`: Docker's live table (redrawn every second) or one sample (--no-stream). Figures come
// from the container's cgroup v2 files; without a cgroup, from /proc (see stats-procfs.ts).
import { readCgroupStats, formatStatsRow, formatStatsTable, type CgroupStats } from '../cgroups/index.js';
import { listContainers, loadContainer } from '../state/liveness.js';
import { resolveContainer } from '../state/containers.js';
import { netCounters, procfsStats } from './stats-procfs.js';
import type { ContainerRecord } from '../state/container-record.js';

/** One sample of a container's counters (cgroup, else /proc); undefined when it is not running. */
export async function sample(r: ContainerRecord): Promise<CgroupStats | undefined> {
  if (!r.state.Running) return undefined;
  const proc = procfsStats(r.state.Pid);
  if (r.state.CgroupPath) {
    try {
      const cg = await readCgroupStats(r.config.Id);
      // A hybrid host's v2 cgroup has cpu.stat but no memory or pids files: fill those from /proc.
      if (!proc) return cg;
      return {
        ...cg,
        memoryUsage: cg.memoryUsage ?? proc.memoryUsage, memoryCurrent: cg.memoryCurrent ?? proc.memoryCurrent, pids: cg.pids ?? proc.pids,
      };
    } catch {
      // fall through to procfs
    }
  }
  return proc;
}

export interface StatsOptions { all?: boolean; noStream?: boolean; refs: string[]; format?: string }

async function targets(o: StatsOptions): Promise<ContainerRecord[]> {
  if (o.refs.length) return Promise.all(o.refs.map((ref) => loadContainer(resolveContainer(ref))));
  return (await listContainers()).filter((r) => o.all || r.state.Running);
}

async function rows(o: StatsOptions, prev: Map<string, CgroupStats | undefined>): Promise<string[][]> {
  const out: string[][] = [];
  for (const r of await targets(o)) {
    const cur = await sample(r);
    out.push(formatStatsRow({ id: r.config.Id, name: r.config.Name, prev: prev.get(r.config.Id), cur, net: r.state.Running ? netCounters(r.state.Pid) : undefined }));
    prev.set(r.config.Id, cur);
  }
  return out;
}

/** docker stats' fields for --format, in its table's column order, and their headers. */
const FIELDS = ['ID', 'Name', 'CPUPerc', 'MemUsage', 'MemPerc', 'NetIO', 'BlockIO', 'PIDs'] as const;
const HEADERS: Record<string, string> = { Container: 'CONTAINER', ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS' };

/** The table as a --format template renders it (`table …` keeps a header; `json` is one object a line). */
async function formatter(format: string, refs: string[]): Promise<(rows: string[][]) => string> {
  const { compileTemplate, parseFormat } = await import('../format/template.js');
  const { alignTabs } = await import('../format/table.js');
  const spec = parseFormat(format === 'json' ? '{{json .}}' : format === 'table' ? 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}' : format);
  const tpl = compileTemplate(spec.body, { missing: 'error' });
  return (rows) => {
    const lines = rows.map((cells, i) => {
      const row: Record<string, string> = { Container: refs[i] ?? cells[0]! };
      FIELDS.forEach((f, c) => { row[f] = cells[c]!; });
      // Go marshals the struct's fields in sorted order for {{json .}}.
      return tpl.render(Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1))));
    });
    return spec.table ? alignTabs([tpl.render(HEADERS), ...lines]) : lines.map((l) => `${l}\n`).join('');
  };
}

export async function statsCommand(o: StatsOptions): Promise<void> {
  const render = o.format ? await formatter(o.format, o.refs) : formatStatsTable;
  const prev = new Map<string, CgroupStats | undefined>();
  // CPU % needs two samples; Docker's --no-stream also waits for a second one.
  await rows(o, prev);
  await new Promise((r) => setTimeout(r, 500));
  if (o.noStream) {
    process.stdout.write(render(await rows(o, prev)));
    return;
  }
  for (;;) {
    const table = render(await rows(o, prev));
    process.stdout.write(process.stdout.isTTY ? `\x1b[2J\x1b[H${table}` : table);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
