// `create` and `run`: config.json → plan → launcher. `create` leaves the container's init blocked on
// its exec fifo (set up, hooks run, not yet exec'd) and returns; `run` supervises it to the end and
// returns its exit status, or with --detach does create + start. Nothing half-made is left behind:
// a failed create removes its state directory and kills whatever it started.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SkiffError } from '../errors.js';
import { processStartTime } from '../kernel/process-identity.js';
import { trace } from '../trace.js';
import { runHooks } from './hooks.js';
import { launchPlan } from './launcher.js';
import { OciStore, checkId, type OciRecord } from './state.js';
import { applyV1, cgroupRelPath, removeV1, v1Mounts, v1Writes } from './cgroup-v1.js';
import { applyV2, v2Root } from './cgroup-v2.js';
import { OCI_VERSION, type OciConfig } from './spec.js';
import { translate } from './translate.js';
import { detachMounts, mountsAt, mountsSince, type MountEntry } from './shared-mounts.js';

export interface CreateOptions {
  root: string;
  id: string;
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
  /** run in the foreground (no exec fifo) instead of create */
  foreground?: boolean;
}

export function readConfig(bundle: string): OciConfig {
  let text: string;
  try {
    text = readFileSync(resolve(bundle, 'config.json'), 'utf8');
  } catch (e) {
    throw new SkiffError('EUSAGE', `cannot read ${resolve(bundle, 'config.json')}: ${(e as Error).message}`, 'give the bundle directory with --bundle');
  }
  let c: OciConfig;
  try {
    c = JSON.parse(text) as OciConfig;
  } catch (e) {
    throw new SkiffError('EUSAGE', `config.json is not valid JSON: ${(e as Error).message}`, 'fix the bundle\'s config.json');
  }
  // runtime-spec: an invalid or unsupported value is an error; the version is the first one read.
  if (typeof c.ociVersion !== 'string' || !/^1\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(c.ociVersion)) {
    throw new SkiffError('EUSAGE', `config.json: unsupported ociVersion ${JSON.stringify(c.ociVersion)}`, 'skiff-oci reads runtime-spec 1.x configs');
  }
  return c;
}

export function writePidFile(path: string | undefined, pid: number): void {
  if (!path) return;
  const p = resolve(path);
  writeFileSync(`${p}.tmp`, String(pid));
  renameSync(`${p}.tmp`, p);
}

/** True when a resources entry asks for something: a non-zero number, a non-empty list or string. */
function asks(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '' || (typeof v === 'number' && v <= 0)) return false;
  if (Array.isArray(v)) return v.some(asks);
  if (typeof v === 'object') return Object.values(v as object).some(asks);
  return true;
}

/** runc's allow list for the nodes every container has (null, zero, full, tty, random, urandom, ptmx, pts, tun, mknod of any). */
const DEFAULT_ALLOW = [
  { allow: true, type: 'c', access: 'm' }, { allow: true, type: 'b', access: 'm' },
  ...[[1, 3], [1, 5], [1, 7], [5, 0], [1, 8], [1, 9], [5, 2], [10, 200]].map(([major, minor]) => ({ allow: true, type: 'c', major, minor, access: 'rwm' })),
  { allow: true, type: 'c', major: 136, access: 'rwm' },
];

export interface CgroupChoice {
  rel: string;
  resources: Record<string, unknown>;
  /** The cgroup v2 root, on a host with no v1 hierarchy; absent: v1. */
  v2?: string;
}

/**
 * Whether the container gets cgroups and which: as root, whenever config.json names a cgroupsPath or a
 * limit (containerd and podman always do, and find the container's processes there); rootless only
 * when it asks for a limit (runc's rule: an unprivileged user's cgroups are best left alone). cgroup v1
 * hierarchies where the host has them (hybrid hosts: their v2 tree is empty and never used); else the
 * unified v2 hierarchy; with neither, a limit is refused before anything is made.
 */
export function cgroupChoice(c: OciConfig, id: string, euid: number, mounts = v1Mounts(), unified = v2Root()): CgroupChoice | undefined {
  const resources = { ...(c.linux?.resources ?? {}) } as Record<string, unknown>;
  const limits = v1Writes({ ...resources, devices: undefined });
  if (mounts.size === 0 && unified) {
    if (euid !== 0 && limits.length === 0) return undefined;
    if (!c.linux?.cgroupsPath && limits.length === 0) return undefined;
    return { rel: cgroupRelPath(c.linux?.cgroupsPath, id), resources, v2: unified };
  }
  if (mounts.size === 0) {
    // cpu.shares 1024 is the kernel's default weight: containerd sends it for "no limit".
    const cpu = resources.cpu as Record<string, unknown> | undefined;
    const r: Record<string, unknown> = { ...resources, devices: undefined, cpu: cpu && cpu.shares === 1024 ? { ...cpu, shares: 0 } : cpu };
    const asked = Object.keys(r).filter((k) => asks(r[k]));
    if (asked.length) {
      throw new SkiffError('ECGROUP', `linux.resources.${asked.join(', ')}: this host has neither cgroup v1 controllers nor a cgroup v2 hierarchy at /sys/fs/cgroup`,
        'drop the limits from config.json, or mount cgroup2 at /sys/fs/cgroup (see docs/oci.md)');
    }
    return undefined;
  }
  if (euid !== 0 && limits.length === 0) return undefined;
  if (!c.linux?.cgroupsPath && v1Writes(resources).length === 0) return undefined;
  if (Array.isArray(resources.devices) && resources.devices.length) {
    // The nodes the container is given stay usable whatever the rules deny, as runc adds them.
    const nodes = (c.linux?.devices ?? []).filter((d) => ['c', 'b', 'u'].includes(d.type)).map((d) => ({ allow: true, type: d.type === 'u' ? 'c' : d.type, major: d.major, minor: d.minor, access: 'rwm' }));
    resources.devices = [...resources.devices, ...DEFAULT_ALLOW, ...nodes];
  }
  return { rel: cgroupRelPath(c.linux?.cgroupsPath, id), resources };
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** A killed init leaves its cgroups only once it has exited (a zombie no longer counts). */
function waitGone(pid: number, ms: number): void {
  for (let i = 0; i < ms; i += 5) {
    try { if (/^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return; } catch { return; }
    sleep(5);
  }
}

export async function create(o: CreateOptions): Promise<number> {
  const bundle = resolve(o.bundle ?? '.');
  const config = readConfig(bundle);
  const store = new OciStore(o.root);
  checkId(o.id);
  const cgroup = cgroupChoice(config, o.id, process.geteuid?.() ?? 0);
  const dir = store.claim(o.id);
  const hooks = config.hooks ?? {};
  const early = [...(hooks.prestart ?? []), ...(hooks.createRuntime ?? []), ...(hooks.createContainer ?? [])];
  let pid = 0;
  let cgroupDirs: string[] | undefined;
  // No mount namespace: what the container mounts lands in ours, beneath its root, and is ours to undo.
  const root = resolve(bundle, config.root?.path ?? 'rootfs');
  const before: MountEntry[] | undefined = (config.linux?.namespaces ?? []).some((n) => n.type === 'mount') ? undefined : mountsAt(root);
  const record = (p: number, started: boolean): OciRecord => ({
    id: o.id, pid: p, startTime: processStartTime(p) ?? '', bundle, created: new Date().toISOString(), owner: process.geteuid?.() ?? 0,
    annotations: config.annotations, poststop: hooks.poststop, started,
    namespaces: (config.linux?.namespaces ?? []).map((n) => n.type), cgroupDirs,
  });
  try {
    const { plan } = translate({
      config, bundle, mode: o.foreground ? 'run' : 'create', fifoPath: o.foreground ? undefined : store.fifo(o.id),
      consoleSocket: o.consoleSocket && resolve(o.consoleSocket), pauseForHooks: early.length > 0 || !!cgroup, euid: process.geteuid?.() ?? 0, trace: trace.enabled,
    });
    const result = await launchPlan(plan, {
      onPid: (p) => {
        pid = p;
        // Limits in force and the pid inside before the init goes on (the plan waits for "go").
        if (cgroup) cgroupDirs = (cgroup.v2 ? applyV2(cgroup.rel, cgroup.resources, p, cgroup.v2) : applyV1(cgroup.rel, cgroup.resources, p)).dirs;
        store.write(record(p, !!o.foreground));
        if (o.foreground) writePidFile(o.pidFile, p);
        // runtime-tools checks "created" in these hooks' state, as runc reports it.
        const st = { ociVersion: OCI_VERSION, id: o.id, status: 'created' as const, pid: p, bundle, annotations: config.annotations };
        runHooks('prestart', hooks.prestart, st);
        runHooks('createRuntime', hooks.createRuntime, st);
        runHooks('createContainer', hooks.createContainer, st);
      },
    });
    if (o.foreground) {
      store.remove(o.id);
      removeV1(cgroupDirs);
      if (before) detachMounts(mountsSince(root, before), root);
      runHooks('poststop', hooks.poststop, { ociVersion: OCI_VERSION, id: o.id, status: 'stopped', bundle, annotations: config.annotations }, false);
      return result.exitCode ?? 0;
    }
    if (before) store.write({ ...store.read(o.id), root, sharedMounts: mountsSince(root, before) });
    writePidFile(o.pidFile, result.pid);
    return 0;
  } catch (e) {
    if (pid) { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }
    store.remove(o.id);
    if (pid) waitGone(pid, 2000);
    removeV1(cgroupDirs);
    if (before) detachMounts(mountsSince(root, before), root);
    void dir;
    throw e;
  }
}
