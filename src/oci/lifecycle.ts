// `start`, `state`, `kill`, `delete`: the verbs that act on a container skiff-oci created. The
// container's init is not skiff-oci's child (the caller's subreaper adopted it), so it is known by
// pid + start time, signalled with kill(2) and waited for by watching /proc.
import { closeSync, constants, openSync, readSync, readdirSync, readlinkSync, unlinkSync } from 'node:fs';
import { constants as os } from 'node:os';
import { SkiffError } from '../errors.js';
import { isProcessAlive } from '../kernel/process-identity.js';
import { runHooks } from './hooks.js';
import { OciStore, type OciRecord } from './state.js';
import { readConfig } from './create.js';
import { OCI_VERSION } from './spec.js';
import { freezeV1, removeV1 } from './cgroup-v1.js';
import { freezeV2 } from './cgroup-v2.js';
import { detachMounts } from './shared-mounts.js';

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

export function start(store: OciStore, id: string): void {
  const r = store.read(id);
  const status = store.status(r);
  if (status !== 'created') throw new SkiffError('ESTATE', `cannot start container "${id}": it is ${status}`, status === 'stopped' ? 'delete it and create it again' : 'it has already been started');
  const fifo = store.fifo(id);
  // Non-blocking: the init is (or is about to be) blocked opening the fifo for writing; our open
  // releases it, and it then writes one byte. No writer ever coming means the init died meanwhile.
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const b = Buffer.alloc(1);
    for (let i = 0; ; i++) {
      let n = 0;
      try { n = readSync(fd, b, 0, 1, null); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e; }
      if (n === 1) break;
      if (!isProcessAlive(r.pid, r.startTime) || i > 5000) throw new SkiffError('ESTATE', `container "${id}" ended before it could start`, 'see its output; delete it and create it again');
      sleep(1);
    }
  } finally {
    closeSync(fd);
  }
  unlinkSync(fifo);
  store.write({ ...r, started: true });
  const hooks = readPoststart(r);
  // The init's pid even if it has already ended (a short command): the hook is about that process.
  runHooks('poststart', hooks, { ...store.state(r), status: 'running', pid: r.pid }, false);
}

function readPoststart(r: OciRecord) {
  try {
    return readConfig(r.bundle).hooks?.poststart;
  } catch {
    return undefined;
  }
}

export function parseSignal(sig: string | undefined): number {
  if (!sig) return os.signals.SIGTERM;
  if (/^\d+$/.test(sig)) return Number(sig);
  const name = sig.toUpperCase().startsWith('SIG') ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`;
  const n = (os.signals as Record<string, number>)[name];
  if (n === undefined) throw new SkiffError('EUSAGE', `unknown signal "${sig}"`, 'use a name like TERM or KILL, or a number');
  return n;
}

/** Every process in the container's pid namespace (the init's), or just the init without one. */
export function containerPids(r: OciRecord): number[] {
  if (!r.namespaces.includes('pid')) return isProcessAlive(r.pid, r.startTime) ? [r.pid] : [];
  let ns: string;
  try { ns = readlinkSync(`/proc/${r.pid}/ns/pid`); } catch { return []; }
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try { if (readlinkSync(`/proc/${d}/ns/pid`) === ns) pids.push(Number(d)); } catch { /* gone */ }
  }
  return pids.sort((a, b) => a - b);
}

export function kill(store: OciStore, id: string, sig: string | undefined, all: boolean): void {
  const r = store.read(id);
  const n = parseSignal(sig);
  if (store.status(r) === 'stopped') throw new SkiffError('ESTATE', `container "${id}" is not running`, 'nothing to signal');
  const targets = all ? containerPids(r) : [r.pid];
  for (const p of targets) {
    try { process.kill(p, n); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e; }
  }
}

function waitGone(r: OciRecord, ms: number): boolean {
  for (let i = 0; i < ms; i += 5) {
    if (!isProcessAlive(r.pid, r.startTime)) return true;
    sleep(5);
  }
  return !isProcessAlive(r.pid, r.startTime);
}

export function remove(store: OciStore, id: string, force: boolean): void {
  let r: OciRecord;
  try {
    r = store.read(id);
  } catch (e) {
    // runc: `delete --force` of a container that is not there is not an error.
    if (force && e instanceof SkiffError && e.code === 'ENOCONTAINER') return;
    throw e;
  }
  const status = store.status(r);
  // runtime-spec: deleting a container that is not stopped is an error (created included); --force kills it.
  if (status !== 'stopped' && !force) throw new SkiffError('ESTATE', `cannot delete container "${id}": it is ${status}`, 'stop it first (kill), or use delete --force');
  if (status !== 'stopped') {
    for (const p of containerPids(r)) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
    if (!waitGone(r, 5000)) throw new SkiffError('ESTATE', `container "${id}" did not die after SIGKILL`, 'it may be stuck in the kernel (D state); try again');
  }
  store.remove(id);
  removeV1(r.cgroupDirs);
  if (r.root) detachMounts(r.sharedMounts, r.root);
  runHooks('poststop', r.poststop, { ociVersion: OCI_VERSION, id, status: 'stopped', bundle: r.bundle, annotations: r.annotations }, false);
}

/** pause/resume: the cgroup v1 freezer of the container, when it has one. */
export function freeze(store: OciStore, id: string, state: 'FROZEN' | 'THAWED'): void {
  const r = store.read(id);
  if (store.status(r) === 'stopped') throw new SkiffError('ESTATE', `container "${id}" is not running`, 'nothing to pause or resume');
  if (!freezeV1(r.cgroupDirs, state) && !freezeV2(r.cgroupDirs, state)) {
    throw new SkiffError('ECGROUP', `container "${id}" has no freezer cgroup`, 'pause needs a cgroup (v1 freezer or v2) and a container created as root with linux.cgroupsPath');
  }
}
