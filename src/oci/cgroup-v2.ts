// linux.cgroupsPath + linux.resources on the cgroup v2 unified hierarchy, as runc's fs2 manager does it:
// one directory at the path, the controllers the limits need enabled in every ancestor's
// cgroup.subtree_control, the limits written in v2's own files and units (cpu.weight from shares,
// cpu.max from quota and period, memory.swap.max as swap beyond memory), the init added while it still
// waits for "go". The translation is pure (`v2Writes`, unit-tested); `applyV2` does the file work.
// Not done: the device rules (v2 enforces them with an eBPF program, which skiff-oci does not load).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';
import { findCgroup2Mount } from '../cgroups/detect.js';
import { removeV1 } from './cgroup-v1.js';
import { writeResource, type WriteHints } from './resource-write.js';

/** One write: controller ('' for core files), file, value, the config key it comes from. */
export interface V2Write { controller: string; file: string; value: string; key: string }

/** A setting cgroup v2 has no file for: skipped, and said so under --debug (runc warns and goes on). */
export interface V2Skip { key: string; why: string }

type Res = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Res | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Res) : undefined);
const list = (v: unknown): Res[] => (Array.isArray(v) ? (v.filter(obj) as Res[]) : []);
/** v1's "-1 = unlimited" in v2's words. */
const limit = (n: number): string => (n < 0 ? 'max' : String(n));

/** runc's conversion of v1 cpu.shares (2–262144) to v2 cpu.weight (1–10000). */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** linux.resources → the v2 files and values, in the order they must be written; and what v2 cannot take. */
export function v2Writes(resources: Res | undefined): { writes: V2Write[]; skipped: V2Skip[] } {
  const writes: V2Write[] = [];
  const skipped: V2Skip[] = [];
  const put = (controller: string, file: string, value: string | number | undefined, key: string) => {
    if (value !== undefined) writes.push({ controller, file, value: String(value), key });
  };
  const r = resources ?? {};
  const m = obj(r.memory);
  if (m) {
    const mem = num(m.limit);
    put('memory', 'memory.max', mem === undefined ? undefined : limit(mem), 'memory.limit');
    const low = num(m.reservation);
    put('memory', 'memory.low', low === undefined ? undefined : limit(low), 'memory.reservation');
    const swap = num(m.swap);
    if (swap !== undefined) {
      // v1's memsw is memory + swap; v2's swap.max is the swap alone.
      if (swap < 0) put('memory', 'memory.swap.max', 'max', 'memory.swap');
      else if (mem === undefined || mem < 0) throw new SkiffError('EUSAGE', 'linux.resources.memory.swap without memory.limit', 'cgroup v2 limits swap beyond memory: give memory.limit too');
      else if (swap < mem) throw new SkiffError('EUSAGE', `linux.resources.memory.swap ${swap} is below memory.limit ${mem}`, 'swap counts memory plus swap: make it at least memory.limit');
      else put('memory', 'memory.swap.max', swap - mem, 'memory.swap');
    }
    if (m.kernel !== undefined) skipped.push({ key: 'memory.kernel', why: 'cgroup v2 accounts kernel memory with the rest and has no separate limit' });
    if (m.kernelTCP !== undefined) skipped.push({ key: 'memory.kernelTCP', why: 'cgroup v2 has no separate TCP buffer limit' });
    if (m.swappiness !== undefined) skipped.push({ key: 'memory.swappiness', why: 'cgroup v2 has no per-cgroup swappiness' });
    if (m.disableOOMKiller) skipped.push({ key: 'memory.disableOOMKiller', why: 'cgroup v2 cannot disable the OOM killer' });
  }
  const c = obj(r.cpu);
  if (c) {
    const shares = num(c.shares);
    if (shares) put('cpu', 'cpu.weight', sharesToWeight(shares), 'cpu.shares');
    const quota = num(c.quota);
    const period = num(c.period);
    if (quota !== undefined || period !== undefined) {
      put('cpu', 'cpu.max', `${quota === undefined || quota <= 0 ? 'max' : quota} ${period && period > 0 ? period : 100000}`, quota !== undefined ? 'cpu.quota' : 'cpu.period');
    }
    if (c.realtimeRuntime !== undefined || c.realtimePeriod !== undefined) skipped.push({ key: 'cpu.realtimeRuntime', why: 'cgroup v2 has no real-time budget per cgroup' });
    if (typeof c.cpus === 'string' && c.cpus) put('cpuset', 'cpuset.cpus', c.cpus, 'cpu.cpus');
    if (typeof c.mems === 'string' && c.mems) put('cpuset', 'cpuset.mems', c.mems, 'cpu.mems');
  }
  const p = obj(r.pids);
  if (p && num(p.limit) !== undefined) put('pids', 'pids.max', num(p.limit)! > 0 ? num(p.limit) : 'max', 'pids.limit');
  for (const h of list(r.hugepageLimits)) put('hugetlb', `hugetlb.${String(h.pageSize)}.max`, num(h.limit), 'hugepageLimits');
  const b = obj(r.blockIO);
  if (b) {
    // runc's io.weight conversion from blkio's 10–1000.
    const w = num(b.weight);
    if (w) put('io', 'io.weight', `default ${1 + Math.floor(((w - 10) * 9999) / 990)}`, 'blockIO.weight');
    const throttles: Array<[string, string]> = [['throttleReadBpsDevice', 'rbps'], ['throttleWriteBpsDevice', 'wbps'],
      ['throttleReadIOPSDevice', 'riops'], ['throttleWriteIOPSDevice', 'wiops']];
    for (const [key, name] of throttles) for (const d of list(b[key])) put('io', 'io.max', `${num(d.major) ?? 0}:${num(d.minor) ?? 0} ${name}=${num(d.rate) ?? 'max'}`, `blockIO.${key}`);
  }
  if (list(r.devices).length) skipped.push({ key: 'devices', why: 'cgroup v2 enforces device rules with an eBPF program, which skiff-oci does not load yet' });
  return { writes, skipped };
}

/** The unified hierarchy's mount when this host has one at /sys/fs/cgroup (cgroup v2 only). */
export function v2Root(mountinfo?: string): string | undefined {
  const m = findCgroup2Mount(mountinfo);
  return m?.layout === 'unified' ? m.path : undefined;
}

const HINTS: WriteHints = {
  missingWhy: 'its controller is not enabled there',
  missingHint: 'enable the controller for this cgroup\'s parents (cgroup.subtree_control), or drop the setting',
  otherHint: 'check the value against the cgroup v2 documentation',
};
const write = (path: string, value: string, key: string): void => writeResource(path, value, key, HINTS);

const words = (path: string): string[] => {
  try { return readFileSync(path, 'utf8').trim().split(/\s+/).filter(Boolean); } catch { return []; }
};

/**
 * Make the container's cgroup at `rel` under the v2 root, enable in each ancestor the controllers the
 * writes need (those the root offers), write the limits, add `pid`. A controller the hierarchy lacks
 * fails naming the setting; nothing half-made is left.
 */
export function applyV2(rel: string, resources: Res | undefined, pid: number, root: string): { dirs: string[] } {
  const { writes, skipped } = v2Writes(resources);
  for (const s of skipped) trace.step('cgroup', `skip linux.resources.${s.key}`, s.why);
  const offered = new Set(words(join(root, 'cgroup.controllers')));
  for (const w of writes) {
    if (!offered.has(w.controller)) {
      throw new SkiffError('ECGROUP', `linux.resources.${w.key}: this host's cgroup v2 hierarchy has no ${w.controller} controller`,
        'drop this setting from config.json, or enable the controller (a kernel built with it, not bound to cgroup v1)');
    }
  }
  const needed = [...new Set(writes.map((w) => w.controller))];
  const dir = join(root, rel);
  const made: string[] = [];
  for (let d = dir; d !== root && !existsSync(d); d = dirname(d)) made.unshift(d);
  try {
    for (const d of made) {
      try {
        mkdirSync(d);
      } catch (e) {
        throw new SkiffError('ECGROUP', `linux.cgroupsPath: cannot create ${d}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
          'run as root, or (rootless) give a cgroupsPath inside a cgroup delegated to you');
      }
    }
    // Each ancestor hands the controllers down; root's own subtree_control included.
    const parts = rel.split('/').filter(Boolean);
    for (let i = 0, d = root; i < parts.length; d = join(d, parts[i]!), i++) {
      const have = new Set(words(join(d, 'cgroup.subtree_control')));
      const add = needed.filter((c) => !have.has(c));
      if (add.length) write(join(d, 'cgroup.subtree_control'), add.map((c) => `+${c}`).join(' '), 'cgroupsPath');
    }
    for (const w of writes) write(join(dir, w.file), w.value, w.key);
    write(join(dir, 'cgroup.procs'), String(pid), 'cgroupsPath');
  } catch (e) {
    removeV1(made.length ? [made[0]!] : []);  // the directories this call made, deepest first
    throw e;
  }
  return { dirs: [dir] };
}

/** v2 freezer: cgroup.freeze, for pause/resume. False when the container has no v2 cgroup. */
export function freezeV2(dirs: string[] | undefined, state: 'FROZEN' | 'THAWED', root = v2Root()): boolean {
  const dir = root && (dirs ?? []).find((d) => d.startsWith(root + '/'));
  if (!dir || !existsSync(join(dir, 'cgroup.freeze'))) return false;
  writeFileSync(join(dir, 'cgroup.freeze'), state === 'FROZEN' ? '1' : '0');
  return true;
}

/** `update --resources` on v2: the same writes into the container's directory. */
export function updateV2(dirs: string[] | undefined, resources: Res, root: string): void {
  const dir = (dirs ?? []).find((d) => d.startsWith(root + '/'));
  if (!dir) throw new SkiffError('ECGROUP', 'the container has no cgroup v2 directory', 'create it as root with linux.cgroupsPath');
  const { writes, skipped } = v2Writes(resources);
  for (const s of skipped) trace.step('cgroup', `skip linux.resources.${s.key}`, s.why);
  for (const w of writes) write(join(dir, w.file), w.value, w.key);
}
