// The launch plan of one container: which namespaces, which mounts in which order, who the process
// runs as, and what it may do. Everything here is policy; skiff-runtime just performs the steps.
import { relative } from 'node:path';
import { Plan } from './plan.js';
import { cloneFlags, type Namespace } from './namespaces.js';
import { MS, flags } from './mount-flags.js';
import { DEV_SYMLINKS, DEVICES, MASKED_PATHS, READONLY_PATHS } from './defaults.js';
import { beforeEntryClone, entryHead, entryTail, type EntryProcess, type ProcessSecurity } from './entry.js';

export interface BindSpec {
  source: string; target: string; readonly: boolean; kind: 'dir' | 'file';
  /** --mount bind-propagation (a directory bind only): shared, slave, private or their r- forms. */
  propagation?: string;
  /** --mount bind-nonrecursive / bind-recursive=disabled: the source's own mount only, not the mounts below it. */
  nonRecursive?: boolean;
}

/** A tmpfs the container asked for (--tmpfs, --mount type=tmpfs): MS_* flags and the kernel's options. */
export interface TmpfsSpec { target: string; flags: number; data: string }

export interface ContainerSpec {
  id: string;
  hostname: string;
  rootfs: {
    layersDir: string; lowerDirs: string[] /* lowest first */; upperDir: string; workDir: string; mountPoint: string;
    /** Skip the sync of the writable layer at unmount (≈ 100 ms at every exit): only for containers never started again. */
    volatile: boolean;
  };
  process: EntryProcess;
  /** Full contents for /proc/<pid>/uid_map and gid_map of the container's user namespace. */
  idMap: { uid: string; gid: string };
  /** Whether gid 5 (tty) exists in the container's id map: devpts wants it for its slaves. */
  ttyGroupMapped: boolean;
  network: 'private' | 'host';
  cgroupDir?: string;
  binds: BindSpec[];
  /** Pause after the pid is known so the engine can wire the network namespace. */
  waitForGo: boolean;
  security: ProcessSecurity;
  /** --privileged: no masked or read-only /proc paths, a writable /sys (caps and seccomp come in `security`). */
  privileged: boolean;
  /** --read-only: the container's root filesystem is mounted read-only (mounts on it stay as they are). */
  readonlyRootfs: boolean;
  /** Host device nodes bound into the container (--device, --privileged). */
  devices: Array<{ source: string; target: string }>;
  /** --tmpfs and --mount type=tmpfs, mounted after the binds. */
  tmpfs?: TmpfsSpec[];
  /** --shm-size in bytes (Docker's default 64 MiB otherwise). */
  shmSize?: number;
  /** --domainname: the UTS namespace's NIS domain name. */
  domainname?: string;
  supervise: SuperviseSpec;
  trace: boolean;
}

/**
 * The container's stdio and who watches it. The container only ever gets pipes or a pty of the
 * supervisor's (or /dev/null): never a descriptor of the caller.
 */
export interface SuperviseSpec {
  /** A pipe as the container's stdin (-i), else /dev/null. */
  stdin: boolean;
  logPath?: string; exitFile?: string; exitCmd?: string[]; attachSocket?: string;
  /** --log-opt max-size/max-file: rotate the log at maxSize bytes, keep maxFile files (0: never rotate). */
  logRotation?: { maxSize: number; maxFile: number };
  /** A healthcheck: the probe's argv, run every intervalMs by the supervisor (src/engine/health.ts). */
  health?: { cmd: string[]; intervalMs: number };
  /** Foreground: which of the caller's streams the supervisor relays (Docker's -a), raw terminal, detach keys. */
  relay?: { stdin: boolean; stdout: boolean; stderr: boolean; raw: boolean; detachKeys: number[] };
}

/** The launcher steps for a process's stdio, and the supervisor's arguments (shared by run and exec). */
export function addStdioSteps(p: Plan, tty: boolean, s: SuperviseSpec): string[] {
  p.parent('stdio', [s.stdin ? 'pipe' : 'null', tty ? 'null' : 'pipes'],
    `the process's stdin is ${s.stdin ? 'a pipe from' : '/dev/null, not'} the caller${tty ? '' : ', stdout and stderr pipes to the supervisor'}: no descriptor of the caller enters`);
  const sup: string[] = [];
  if (s.logPath) sup.push(`log=${s.logPath}`);
  if (s.exitFile) sup.push(`exit-file=${s.exitFile}`);
  for (const a of s.exitCmd ?? []) sup.push(`exit-cmd=${a}`);
  if (s.attachSocket) sup.push(`attach=${s.attachSocket}`);
  if (s.logPath && s.logRotation?.maxSize) sup.push(`log-max-size=${s.logRotation.maxSize}`, `log-max-file=${s.logRotation.maxFile}`);
  if (s.health) {
    for (const a of s.health.cmd) sup.push(`health-cmd=${a}`);
    sup.push(`health-interval=${Math.max(1, Math.round(s.health.intervalMs))}`);
  }
  if (s.relay) {
    sup.push('relay');
    if (s.relay.stdin) sup.push('relay-in');
    if (s.relay.stdout) sup.push('relay-out');
    if (s.relay.stderr) sup.push('relay-err');
    if (s.relay.raw) sup.push('raw');
    if (s.relay.stdin && s.relay.detachKeys.length) sup.push(`detach-keys=${s.relay.detachKeys.join(',')}`);
  }
  return sup;
}

/** MS_SHARED, MS_SLAVE, MS_PRIVATE, with MS_REC for the r- forms. */
const PROPAGATION: Record<string, number> = {
  shared: 1 << 20, slave: 1 << 19, private: 1 << 18,
  rshared: (1 << 20) | MS.REC, rslave: (1 << 19) | MS.REC, rprivate: (1 << 18) | MS.REC,
};

export function buildContainerPlan(s: ContainerSpec): Plan {
  const p = new Plan();
  if (s.trace) p.parent('trace', [], 'report how long every step takes');
  const sup = addStdioSteps(p, s.process.tty, s.supervise);
  const ns: Namespace[] = ['NEWUSER', 'NEWNS', 'NEWPID', 'NEWUTS', 'NEWIPC', 'NEWCGROUP'];
  if (s.network === 'private') ns.push('NEWNET');
  beforeEntryClone(p);
  p.parent('clone', [cloneFlags(ns), s.cgroupDir ?? ''],
    `new ${ns.map((n) => n.slice(3).toLowerCase()).join('+')} namespaces${s.cgroupDir ? ', born inside its cgroup (CLONE_INTO_CGROUP)' : ''}`);
  p.parent('write-file', ['/proc/{pid}/uid_map', s.idMap.uid], 'map the container\'s uids onto ids the engine owns');
  p.parent('write-file', ['/proc/{pid}/gid_map', s.idMap.gid], 'and its gids');
  p.parent('report-pid', [], 'tell the engine the pid, to wire its network namespace');
  p.parent('release', [], 'let the child go on with its mounts');
  // The engine wires the network while the child mounts (the two take about as long; done one after
  // the other they cost a bridged run +70 ms over --network none, bench/run-latency). The child then
  // waits once more, just before its program's last steps, so the program never starts without eth0.
  if (s.waitForGo) {
    p.parent('wait-go', [], 'wait until the engine has set up the network (the child mounts meanwhile)');
    p.parent('release', [], 'let the child go on to its program: the network is ready');
  }
  if (s.process.tty) p.parent('recv-pty', [], 'receive the pty master the container opened in its own devpts');
  p.parent('wait-exec', [], 'learn whether execve succeeded (the error pipe closes on exec)');
  p.parent('supervise', sup, s.supervise.relay
    ? 'relay the caller\'s terminal or pipes to the container\'s, log its output, forward signals, reap it and record its exit'
    : 'log the container\'s output, serve attach clients, forward signals, reap it and record its exit');

  entryHead(p);
  p.child('wait-parent', [], 'wait for the uid/gid maps: until then we are nobody');
  p.child('mount-private', [], 'make every mount private so nothing we mount propagates back to the host');
  const { layersDir, lowerDirs, upperDir, workDir, mountPoint } = s.rootfs;
  // overlay wants the topmost lower first.
  const lowers = [...lowerDirs].reverse().map((d) => relative(layersDir, d)).join(':');
  p.child('overlay', [layersDir, lowers, upperDir, workDir, mountPoint, s.rootfs.volatile ? 'volatile' : ''],
    `stack the image layers read-only under a private writable layer${s.rootfs.volatile ? ' (volatile: --rm, it is never mounted again)' : ''}`);
  const nosuidNodevNoexec = flags(MS.NOSUID, MS.NODEV, MS.NOEXEC);
  p.child('mount', ['proc', '/proc', 'proc', nosuidNodevNoexec, ''], 'a /proc that shows only the container\'s own processes');
  p.child('mount', ['tmpfs', '/dev', 'tmpfs', flags(MS.NOSUID, MS.STRICTATIME), 'mode=755,size=65536k'], 'a private /dev');
  for (const d of DEVICES) p.child('bind', [`/dev/${d}`, `/dev/${d}`, '', 'file'], `the host's /dev/${d} (bound: creating device nodes is not allowed in a user namespace)`);
  const defaults = new Set(DEVICES.map((d) => `/dev/${d}`));
  for (const d of s.devices) {
    if (d.source === d.target && defaults.has(d.target)) continue;
    p.child('bind', [d.source, d.target, '', 'file'], `device ${d.source} at ${d.target}`);
  }
  p.child('mount', ['devpts', '/dev/pts', 'devpts', flags(MS.NOSUID, MS.NOEXEC),
    `newinstance,ptmxmode=0666,mode=0620${s.ttyGroupMapped ? ',gid=5' : ''}`], 'its own pseudo-terminals, invisible to the host\'s');
  const shmKiB = Math.max(1, Math.ceil((s.shmSize ?? 64 * 1024 * 1024) / 1024));
  p.child('mount', ['shm', '/dev/shm', 'tmpfs', nosuidNodevNoexec, `mode=1777,size=${shmKiB}k`], `private shared memory (${shmKiB} KiB${s.shmSize ? ', --shm-size' : ''})`);
  p.child('mount', ['mqueue', '/dev/mqueue', 'mqueue', nosuidNodevNoexec, ''], 'private POSIX message queues');
  if (s.network === 'private') {
    p.child('mount', ['sysfs', '/sys', 'sysfs', s.privileged ? flags(MS.NOSUID, MS.NODEV, MS.NOEXEC) : flags(MS.RDONLY, MS.NOSUID, MS.NODEV, MS.NOEXEC), ''],
      s.privileged ? 'a /sys of its own network namespace, writable (--privileged)' : 'a read-only /sys of its own network namespace');
  } else {
    p.child('bind', ['/sys', '/sys', s.privileged ? 'rec' : 'rec,ro', 'dir'], `the host's /sys${s.privileged ? '' : ', read-only'} (it shares the host network)`);
  }
  if (s.cgroupDir) {
    p.child('mount', ['cgroup2', '/sys/fs/cgroup', 'cgroup2', flags(MS.RDONLY, MS.NOSUID, MS.NODEV, MS.NOEXEC), ''], 'its own cgroup, seen as / through the cgroup namespace');
  }
  for (const b of s.binds) {
    const opts = [b.nonRecursive ? '' : 'rec', b.readonly ? 'ro' : ''].filter(Boolean).join(',');
    p.child('bind', [b.source, b.target, opts, b.kind], `bind ${b.source} at ${b.target}${b.readonly ? ' read-only' : ''}${b.nonRecursive ? ', not recursive' : ''}`);
    if (b.propagation && b.kind === 'dir') {
      p.child('mount', ['none', b.target, '', String(PROPAGATION[b.propagation]), ''], `bind-propagation=${b.propagation} (inside the container's own mount namespace)`);
    }
  }
  for (const t of s.tmpfs ?? []) p.child('mount', ['tmpfs', t.target, 'tmpfs', String(t.flags), t.data], `a tmpfs at ${t.target}${t.data ? ` (${t.data})` : ''}`);
  for (const [target, link] of DEV_SYMLINKS) p.child('symlink', [target, link], `${link} -> ${target}, as every Linux /dev has`);
  if (s.process.cwd !== '/') p.child('mkdir', [s.process.cwd, '755'], 'the working directory exists, as Docker makes it');
  if (s.readonlyRootfs) {
    // The overlay is this namespace's own mount, so no flag is locked on it: a plain read-only remount.
    p.child('mount', ['none', '/', '', flags(MS.REMOUNT, MS.BIND, MS.RDONLY), ''], '--read-only: the root filesystem cannot be written (its mounts keep their own flags)');
  }
  p.child('pivot', [], 'make the overlay the root and detach the host\'s filesystem from view');
  if (!s.privileged) {
    for (const m of MASKED_PATHS) p.child('mask', [m], 'hide kernel details a container must not read');
    for (const r of READONLY_PATHS) p.child('readonly', [r], 'readable, never writable from inside');
  }
  p.child('hostname', [s.hostname], 'the container\'s own hostname (its short id)');
  if (s.domainname) p.child('domainname', [s.domainname], `the container's NIS domain name (--domainname ${s.domainname})`);
  if (s.waitForGo) p.child('wait-parent', [], 'wait until the engine has wired the network (eth0, address, route)');
  entryTail(p, s.process, s.security, true);
  return p;
}
