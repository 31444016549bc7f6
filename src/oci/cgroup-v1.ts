// linux.cgroupsPath + linux.resources on cgroup v1 hierarchies (this project's hybrid hosts: every
// controller bound to v1, an empty v2 tree beside them), as runc's and crun's cgroupfs managers do it:
// one directory per controller at the same path, limits written there before the container's init
// runs, its pid added to each, the directories removed on delete. The translation is pure
// (`v1Writes`, unit-tested); `applyV1` does the file work and says which controller or file is missing.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../errors.js';
import { writeResource, type WriteHints } from './resource-write.js';

/** One write: controller, file (relative to the container's directory in that controller), value, the config key it comes from. */
export interface CgroupWrite { controller: string; file: string; value: string; key: string }

type Res = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Res | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Res) : undefined);
const list = (v: unknown): Res[] => (Array.isArray(v) ? (v.filter(obj) as Res[]) : []);
const dev = (d: Res) => `${num(d.major) ?? '*'}:${num(d.minor) ?? '*'}`;

/** linux.resources → the v1 files and values runc writes, in the order they must be written. */
export function v1Writes(resources: Res | undefined): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const put = (controller: string, file: string, value: string | number | undefined, key: string) => {
    if (value !== undefined) w.push({ controller, file, value: String(value), key });
  };
  const r = resources ?? {};
  // devices: deny everything, then allow what is listed, in order (the spec's rules are applied in order).
  for (const d of list(r.devices)) {
    const type = typeof d.type === 'string' && d.type ? d.type : 'a';
    const access = typeof d.access === 'string' && d.access ? d.access : 'rwm';
    const rule = type === 'a' && d.major === undefined && d.minor === undefined ? 'a' : `${type} ${dev(d)} ${access}`;
    put('devices', d.allow ? 'devices.allow' : 'devices.deny', rule, 'devices');
  }
  const m = obj(r.memory);
  if (m) {
    put('memory', 'memory.limit_in_bytes', num(m.limit), 'memory.limit');
    put('memory', 'memory.soft_limit_in_bytes', num(m.reservation), 'memory.reservation');
    put('memory', 'memory.memsw.limit_in_bytes', num(m.swap), 'memory.swap');
    put('memory', 'memory.kmem.limit_in_bytes', num(m.kernel), 'memory.kernel');
    put('memory', 'memory.kmem.tcp.limit_in_bytes', num(m.kernelTCP), 'memory.kernelTCP');
    put('memory', 'memory.swappiness', num(m.swappiness), 'memory.swappiness');
    if (m.disableOOMKiller !== undefined) put('memory', 'memory.oom_control', m.disableOOMKiller ? 1 : 0, 'memory.disableOOMKiller');
  }
  const c = obj(r.cpu);
  if (c) {
    put('cpu', 'cpu.shares', num(c.shares), 'cpu.shares');
    // The period first: a quota is checked against the period in force.
    put('cpu', 'cpu.cfs_period_us', num(c.period), 'cpu.period');
    put('cpu', 'cpu.cfs_quota_us', num(c.quota), 'cpu.quota');
    put('cpu', 'cpu.rt_period_us', num(c.realtimePeriod), 'cpu.realtimePeriod');
    put('cpu', 'cpu.rt_runtime_us', num(c.realtimeRuntime), 'cpu.realtimeRuntime');
    if (typeof c.cpus === 'string' && c.cpus) put('cpuset', 'cpuset.cpus', c.cpus, 'cpu.cpus');
    if (typeof c.mems === 'string' && c.mems) put('cpuset', 'cpuset.mems', c.mems, 'cpu.mems');
  }
  const p = obj(r.pids);
  if (p && num(p.limit) !== undefined) put('pids', 'pids.max', num(p.limit)! > 0 ? num(p.limit) : 'max', 'pids.limit');
  const b = obj(r.blockIO);
  if (b) {
    put('blkio', 'blkio.weight', num(b.weight), 'blockIO.weight');
    put('blkio', 'blkio.leaf_weight', num(b.leafWeight), 'blockIO.leafWeight');
    for (const d of list(b.weightDevice)) {
      put('blkio', 'blkio.weight_device', num(d.weight) === undefined ? undefined : `${dev(d)} ${num(d.weight)}`, 'blockIO.weightDevice');
      put('blkio', 'blkio.leaf_weight_device', num(d.leafWeight) === undefined ? undefined : `${dev(d)} ${num(d.leafWeight)}`, 'blockIO.weightDevice');
    }
    const throttles: Array<[string, string]> = [['throttleReadBpsDevice', 'read_bps_device'], ['throttleWriteBpsDevice', 'write_bps_device'],
      ['throttleReadIOPSDevice', 'read_iops_device'], ['throttleWriteIOPSDevice', 'write_iops_device']];
    for (const [key, file] of throttles) for (const d of list(b[key])) put('blkio', `blkio.throttle.${file}`, `${dev(d)} ${num(d.rate) ?? 0}`, `blockIO.${key}`);
  }
  for (const h of list(r.hugepageLimits)) put('hugetlb', `hugetlb.${String(h.pageSize)}.limit_in_bytes`, num(h.limit), 'hugepageLimits');
  const n = obj(r.network);
  if (n) {
    put('net_cls', 'net_cls.classid', num(n.classID), 'network.classID');
    for (const pr of list(n.priorities)) put('net_prio', 'net_prio.ifpriomap', `${String(pr.name)} ${num(pr.priority) ?? 0}`, 'network.priorities');
  }
  return w;
}

const NOT_CONTROLLERS = new Set(['rw', 'ro', 'xattr', 'noprefix', 'clone_children', 'cpuset_v2_mode', 'favordynmods']);

/** Controller → mount point of each v1 hierarchy (a co-mounted "cpu,cpuacct" answers for both). */
export function v1Mounts(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    if (fstype !== 'cgroup') continue;
    const mountPoint = line.split(' ')[4]!.replace(/\\040/g, ' ');
    for (const o of superOpts.split(',')) if (!out.has(o) && !NOT_CONTROLLERS.has(o) && !o.startsWith('release_agent=')) out.set(o, mountPoint);
  }
  return out;
}

/** Where the container's cgroup lives in every hierarchy: an absolute path as is, a relative one under the root (crun's choice; the spec leaves it to the runtime). */
export function cgroupRelPath(cgroupsPath: string | undefined, id: string): string {
  const p = cgroupsPath && cgroupsPath.length ? cgroupsPath : `/skiff-oci/${id}`;
  const clean = p.split('/').filter((s) => s && s !== '.');
  if (clean.includes('..')) throw new SkiffError('EUSAGE', `linux.cgroupsPath "${cgroupsPath}" climbs with ".."`, 'give a path inside the cgroup hierarchy');
  return '/' + clean.join('/');
}

const HINTS: WriteHints = {
  missingWhy: 'this kernel has no such cgroup file',
  missingHint: 'drop this setting from config.json: the host\'s cgroup v1 controller does not offer it',
  otherHint: 'check the value against the cgroup v1 documentation',
};
const writeFile = (path: string, value: string, key: string): void => writeResource(path, value, key, HINTS);

/** cpuset: a new v1 directory starts with empty cpus/mems and takes no task until they are set; copy the parent's down. */
function initCpuset(mount: string, rel: string): void {
  let dir = mount;
  for (const part of rel.split('/').filter(Boolean)) {
    const parent = dir;
    dir = join(dir, part);
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      const mine = join(dir, f);
      if (existsSync(mine) && readFileSync(mine, 'utf8').trim() === '') writeFileSync(mine, readFileSync(join(parent, f), 'utf8').trim() || '\n');
    }
  }
}

export interface V1Cgroup { dirs: string[] }

/**
 * Make the container's directory in every mounted controller it needs (all of them when `join` asks:
 * containerd and podman find a container's processes by its cgroups), write the limits, add `pid`.
 * The controllers the resources name must exist here; others are best effort.
 */
export function applyV1(rel: string, resources: Res | undefined, pid: number, mounts = v1Mounts()): V1Cgroup {
  const writes = v1Writes(resources);
  for (const w of writes) {
    if (!mounts.has(w.controller)) {
      throw new SkiffError('ECGROUP', `linux.resources.${w.key}: this host has no ${w.controller} cgroup controller mounted`,
        'drop this setting from config.json, or mount the controller\'s cgroup v1 hierarchy');
    }
  }
  const dirs: string[] = [];
  const seen = new Set<string>();
  for (const [controller, mount] of mounts) {
    if (seen.has(mount)) continue;
    seen.add(mount);
    const dir = join(mount, rel);
    mkdirSync(dir, { recursive: true });
    dirs.push(dir);
    if (controller === 'cpuset' || mount.endsWith('/cpuset')) initCpuset(mount, rel);
  }
  try {
    for (const w of writes) writeFile(join(mounts.get(w.controller)!, rel, w.file), w.value, w.key);
    for (const dir of dirs) writeFile(join(dir, 'cgroup.procs'), String(pid), 'cgroupsPath');
  } catch (e) {
    removeV1(dirs);  // nothing half-made: the caller kills the init, which may already be in some of them
    throw e;
  }
  return { dirs };
}

/** Remove the container's directories, deepest first; a directory still holding processes stays (EBUSY). */
export function removeV1(dirs: string[] | undefined): void {
  for (const d of [...(dirs ?? [])].sort((a, b) => b.length - a.length)) {
    try {
      for (const sub of readdirSync(d, { withFileTypes: true })) if (sub.isDirectory()) removeV1([join(d, sub.name)]);
      rmdirSync(d);
    } catch { /* gone already, or busy: nothing of ours to do */ }
  }
}

/** v1 freezer: FROZEN or THAWED, for pause/resume. */
export function freezeV1(dirs: string[] | undefined, state: 'FROZEN' | 'THAWED', mounts = v1Mounts()): boolean {
  const freezer = mounts.get('freezer');
  const dir = freezer && (dirs ?? []).find((d) => d.startsWith(freezer + '/'));
  if (!dir) return false;
  writeFileSync(join(dir, 'freezer.state'), state);
  return true;
}

/** `update --resources`: the same writes into the container's existing directories. */
export function updateV1(dirs: string[] | undefined, resources: Res, mounts = v1Mounts()): void {
  for (const w of v1Writes(resources)) {
    const mount = mounts.get(w.controller);
    const dir = mount && (dirs ?? []).find((d) => d.startsWith(mount + '/'));
    if (!dir) throw new SkiffError('ECGROUP', `linux.resources.${w.key}: the container has no ${w.controller} cgroup`, 'create it as root with linux.cgroupsPath on a host with that controller');
    writeFile(join(dir, w.file), w.value, w.key);
  }
}
