// config.json → the launcher's plan: the same plan format, the same launcher and the same op
// vocabulary `skiff run` uses, so one C program does the kernel work for both front doors. Each step
// keeps its *why*; `skiff-oci --debug` prints them. Decisions runc makes (rootless id maps, which
// devices to bind instead of mknod, propagation of the rootfs) are made here, never in C.
import { isAbsolute, join, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { Plan } from '../spawn/plan.js';
import { beforeEntryClone } from '../spawn/entry.js';
import { CLONE } from '../spawn/namespaces.js';
import { MS } from '../spawn/mount-flags.js';
import { compileSeccomp, type LinuxSeccomp } from '../spawn/seccomp.js';
import { SkiffError } from '../errors.js';
import { capList } from './capabilities.js';
import { parseMountOptions } from './mount-options.js';
import type { OciConfig, OciIdMapping, OciMount, OciProcess } from './spec.js';

export const NS_FLAGS: Record<string, number> = {
  pid: CLONE.NEWPID, network: CLONE.NEWNET, mount: CLONE.NEWNS, ipc: CLONE.NEWIPC, uts: CLONE.NEWUTS,
  user: CLONE.NEWUSER, cgroup: CLONE.NEWCGROUP, time: 0x80,
};

const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

/** The spec's default devices (runtime-spec config-linux.md "Default Devices"). */
const DEFAULT_DEVICES = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3 }, { path: '/dev/zero', type: 'c', major: 1, minor: 5 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7 }, { path: '/dev/random', type: 'c', major: 1, minor: 8 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9 }, { path: '/dev/tty', type: 'c', major: 5, minor: 0 },
];
const DEV_LINKS: Array<[string, string]> = [
  ['/proc/self/fd', '/dev/fd'], ['/proc/self/fd/0', '/dev/stdin'], ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'], ['pts/ptmx', '/dev/ptmx'],
];

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface TranslateInput {
  config: OciConfig;
  bundle: string;
  /** create: init stops on the exec fifo and the launcher leaves; run: the launcher supervises to the end. */
  mode: 'create' | 'run';
  fifoPath?: string;
  consoleSocket?: string;
  /** Pause before the child's first mount so the caller can run prestart/createRuntime hooks. */
  pauseForHooks: boolean;
  /** The caller's effective uid: anything but 0 follows runc's rootless rules. */
  euid: number;
  trace: boolean;
}

export interface Translated { plan: Plan; newNamespaces: string[]; userns: boolean }

function idMap(m: OciIdMapping[] | undefined): string {
  return (m ?? []).map((e) => `${e.containerID} ${e.hostID} ${e.size}`).join('\n') + '\n';
}

function mapped(id: number, maps: OciIdMapping[] | undefined): boolean {
  return (maps ?? []).some((m) => id >= m.containerID && id < m.containerID + m.size);
}

export function pathOf(env: string[]): string {
  const p = env.find((e) => e.startsWith('PATH='));
  return p ? p.slice(5) : DEFAULT_PATH;
}

function requireProcess(c: OciConfig): OciProcess {
  if (!c.process) throw new SkiffError('EUSAGE', 'config.json has no "process"', 'add process.args, process.cwd and process.user');
  if (!c.process.args?.length) throw new SkiffError('EUSAGE', 'config.json: process.args is empty', 'give the command to run in process.args');
  if (!isAbsolute(c.process.cwd ?? '')) throw new SkiffError('EUSAGE', `config.json: process.cwd "${c.process.cwd}" is not an absolute path`, 'process.cwd must start with /');
  return c.process;
}

/** The user namespace's id maps: written directly when allowed, else through newuidmap/newgidmap. */
function planIdMaps(p: Plan, c: OciConfig, euid: number): { setgroups: boolean } {
  const uids = c.linux?.uidMappings;
  const gids = c.linux?.gidMappings;
  if (!uids?.length || !gids?.length) {
    throw new SkiffError('EUSAGE', 'config.json: a new user namespace needs linux.uidMappings and linux.gidMappings', 'map at least your own uid and gid to 0');
  }
  const single = (m: OciIdMapping[], own: number) => m.length === 1 && m[0]!.size === 1 && m[0]!.hostID === own;
  if (euid === 0) {
    p.parent('write-file', ['/proc/{pid}/uid_map', idMap(uids)], 'map the container\'s uids (linux.uidMappings)');
    p.parent('write-file', ['/proc/{pid}/gid_map', idMap(gids)], 'and its gids (linux.gidMappings)');
    return { setgroups: true };
  }
  const egid = process.getegid?.() ?? euid;
  if (single(uids, euid) && single(gids, egid)) {
    p.parent('write-file', ['/proc/{pid}/uid_map', idMap(uids)], 'rootless: map our own uid, the one mapping an unprivileged user may write');
    p.parent('write-file', ['/proc/{pid}/setgroups', 'deny'], 'an unprivileged gid_map requires setgroups(2) denied');
    p.parent('write-file', ['/proc/{pid}/gid_map', idMap(gids)], 'and our own gid');
    return { setgroups: false };
  }
  const helperArgs = (m: OciIdMapping[]) => m.flatMap((e) => [String(e.containerID), String(e.hostID), String(e.size)]);
  p.parent('helper', ['newuidmap', '{pid}', ...helperArgs(uids)], 'rootless: the setuid helper maps our subordinate uids (/etc/subuid)');
  p.parent('helper', ['newgidmap', '{pid}', ...helperArgs(gids)], 'and subordinate gids (/etc/subgid)');
  return { setgroups: true };
}

function planMount(p: Plan, m: OciMount, bundle: string, c: OciConfig, userns: boolean, newNet: boolean): void {
  const dest = m.destination;
  if (!isAbsolute(dest)) throw new SkiffError('EUSAGE', `config.json: mount destination "${dest}" is not absolute`, 'mount destinations start with /');
  const o = parseMountOptions(m.options);
  const type = m.type ?? '';
  const bindLike = o.bind || type === 'bind';
  const why = `config.json mount ${type || 'bind'} at ${dest}`;
  if (bindLike || type === 'cgroup' || (type === 'sysfs' && userns && !newNet)) {
    // cgroup (v1) and, rootless without a network namespace, sysfs cannot be mounted anew: bind the host's.
    const src = type === 'cgroup' ? '/sys/fs/cgroup' : type === 'sysfs' && !bindLike ? '/sys' : resolve(bundle, m.source ?? '');
    let kind: 'dir' | 'file' = 'dir';
    try { kind = statSync(src).isDirectory() ? 'dir' : 'file'; } catch { /* the launcher reports ENOENT at this step */ }
    const opts = [o.recursive || !bindLike ? 'rec' : '', o.flags & MS.RDONLY ? 'ro' : '', o.flags & MS.NOSUID ? 'nosuid' : '',
      o.flags & MS.NODEV ? 'nodev' : '', o.flags & MS.NOEXEC ? 'noexec' : ''].filter(Boolean).join(',');
    p.child('bind', [src, dest, opts, kind], why);
  } else {
    let data = o.data;
    if (type === 'devpts' && userns) {
      // runc's rootless rule: drop gid=N when N is not mapped in the container (the kernel refuses it).
      data = data.filter((d) => !d.startsWith('gid=') || mapped(Number(d.slice(4)), c.linux?.gidMappings));
    }
    p.child('mount', [m.source ?? type, dest, type, String(o.flags), data.join(',')], why);
  }
  for (const prop of o.propagation) p.child('mount', ['none', dest, '', String(prop), ''], `propagation of ${dest} as the options ask`);
}

export function translate(t: TranslateInput): Translated {
  const c = t.config;
  const proc = requireProcess(c);
  const p = new Plan();
  if (t.trace) p.parent('trace', [], 'report how long every step takes');
  const nss = c.linux?.namespaces ?? [];
  for (const n of nss) if (!(n.type in NS_FLAGS)) throw new SkiffError('EUSAGE', `config.json: unknown namespace type "${n.type}"`, 'use pid, network, mount, ipc, uts, user, cgroup or time');
  const has = (type: string) => nss.some((n) => n.type === type);
  const fresh = nss.filter((n) => !n.path).map((n) => n.type);
  const joined = nss.filter((n) => n.path);
  const userns = has('user');
  if (t.euid !== 0 && !userns) throw new SkiffError('EUSAGE', 'rootless containers need a user namespace', 'add {"type":"user"} to linux.namespaces with your uid and gid mapped (skiff-oci spec --rootless)');
  // No mount namespace (runc and crun accept it): the container shares the caller's mounts, so what
  // would change the caller's own view of its root is refused, and the rest is made as runc makes it.
  const mountns = has('mount');
  if (!mountns && c.linux?.rootfsPropagation) throw new SkiffError('EUSAGE', 'config.json sets linux.rootfsPropagation without a mount namespace', 'add {"type":"mount"} to linux.namespaces, or drop rootfsPropagation: it would change the propagation of the caller\'s own mounts');
  if (c.hostname && !has('uts')) throw new SkiffError('EUSAGE', 'config.json sets a hostname without a uts namespace', 'add {"type":"uts"} (new, or joined by path) to linux.namespaces');

  if (t.fifoPath) p.parent('mkfifo', [t.fifoPath, '622'], 'the exec fifo that holds the container until `start` (runc\'s exec.fifo)');
  // Joined namespaces first, the user namespace before the ones it owns, as nsenter orders them.
  for (const n of [...joined].sort((a, b) => Number(b.type === 'user') - Number(a.type === 'user'))) {
    p.parent('setns', [n.path!, String(NS_FLAGS[n.type]! >>> 0)], `join the ${n.type} namespace at ${n.path}`);
  }
  const cloneFlags = fresh.reduce((f, n) => f | NS_FLAGS[n]!, 0) >>> 0;
  // Non-dumpable from the clone on, except with a new user namespace: then the parent must still write the
  // child's id maps (a non-dumpable child's /proc files belong to root, which an unprivileged caller is not),
  // and nothing else lives in its namespaces to reach it before it execs.
  if (!fresh.includes('user')) beforeEntryClone(p);
  p.parent('clone', [String(cloneFlags), ''], `new ${fresh.join('+') || 'no'} namespaces`);
  let setgroups = true;
  if (fresh.includes('user')) ({ setgroups } = planIdMaps(p, c, t.euid));
  else if (userns && t.euid !== 0) setgroups = false;
  if (proc.oomScoreAdj !== undefined) p.parent('write-file', ['/proc/{pid}/oom_score_adj', String(proc.oomScoreAdj)], 'process.oomScoreAdj');
  p.parent('report-pid', [], 'tell skiff-oci the pid: it records the state and the pid file');
  if (t.pauseForHooks) p.parent('wait-go', [], 'wait while skiff-oci runs the prestart and createRuntime hooks');
  p.parent('release', [], 'let the child go on with its mounts');
  if (proc.terminal) {
    p.parent('recv-pty', [], 'receive the pty master the container opened in its own devpts');
    if (t.consoleSocket) p.parent('send-pty', [t.consoleSocket], 'hand the pty master to --console-socket (SCM_RIGHTS), as runc does');
  }
  if (t.mode === 'create') {
    p.parent('wait-ready', [], 'wait until the container is set up and blocked on its exec fifo');
    p.parent('detach', [], 'leave: the container\'s init is adopted by the caller\'s subreaper, as with runc');
  } else {
    p.parent('wait-exec', [], 'learn whether execve succeeded');
    p.parent('supervise', [], 'forward signals, relay the terminal, reap the container and return its exit status');
  }

  // --- the child, in its new namespaces ---
  p.child('wait-parent', [], 'wait for the id maps and the hooks');
  const root = resolve(t.bundle, c.root?.path ?? 'rootfs');
  if (mountns) {
    p.child('mount-private', [], 'make every mount private so nothing we mount propagates back to the host');
    p.child('bind-root', [root], 'the bundle\'s root, bound on itself so pivot_root sees a mount point');
  } else if (c.root?.readonly) {
    p.child('bind-root', [root], 'no mount namespace, a read-only root: the root bound on itself (in the caller\'s namespace) to be remounted read-only');
  } else {
    p.child('open-root', [root], 'no mount namespace: the caller\'s mounts are the container\'s; its mounts go beneath the bundle\'s root, in the caller\'s namespace, as runc makes them');
  }
  if (t.fifoPath) p.child('fifo-open', [t.fifoPath], 'hold the exec fifo while its host path is still visible');
  if (fresh.includes('user') && mapped(0, c.linux?.uidMappings) && mapped(0, c.linux?.gidMappings)) {
    // So far the child had the caller's ids, the owner of the bundle and state paths it just opened; the
    // maps need not include them (root mapping 0 to 1000, say), and a file made with an id the new
    // namespace cannot name fails (EOVERFLOW at /dev/pts). Container root from here on, as with crun.
    p.child('user', ['0', '0', setgroups ? '' : '-'], 'become the new user namespace\'s root before making anything in it');
  }
  const newNet = fresh.includes('network');
  for (const m of c.mounts ?? []) planMount(p, m, t.bundle, c, userns, newNet);

  const devices = [...(c.linux?.devices ?? [])];
  for (const d of DEFAULT_DEVICES) if (!devices.some((x) => x.path === d.path)) devices.push({ ...d, fileMode: 0o666, uid: 0, gid: 0 });
  for (const d of devices) {
    if (!userns) {
      const mode = (d.fileMode ?? 0o666).toString(8);
      p.child('mknod', [d.path, d.type, String(d.major ?? 0), String(d.minor ?? 0), mode, String(d.uid ?? 0), String(d.gid ?? 0)], `device ${d.path} (${d.type} ${d.major}:${d.minor})`);
    } else {
      p.child('bind', [d.path, d.path, '', 'file'], `the host's ${d.path}, bound: a user namespace may not mknod`);
    }
  }
  for (const [target, link] of DEV_LINKS) p.child('symlink', [target, link], `${link} -> ${target}`);
  if (proc.cwd !== '/') p.child('mkdir', [proc.cwd, '755'], 'process.cwd exists, as runc makes it');
  if (c.root?.readonly) p.child('remount', [root, String(MS.RDONLY)], 'root.readonly: the root becomes read-only (its submounts keep their own flags)');
  if (mountns) p.child('pivot', [], 'make the bundle\'s root the root and detach the host\'s filesystem from view');
  else p.child('chroot', [], 'no mount namespace: confine the init to the bundle\'s root with chroot, as runc and crun do (pivot_root would move the caller\'s root)');
  // After pivot_root, on the container's own "/": pivot_root refuses a shared root mount (put_old is the new root).
  const prop = c.linux?.rootfsPropagation;
  if (prop) {
    const pf = parseMountOptions([prop]).propagation[0];
    if (pf === undefined) throw new SkiffError('EUSAGE', `config.json: unknown rootfsPropagation "${prop}"`, 'use private, rprivate, shared, rshared, slave, rslave, unbindable');
    p.child('mount', ['none', '/', '', String((pf | MS.REC) >>> 0), ''], `linux.rootfsPropagation ${prop}`);
  }
  for (const [k, v] of Object.entries(c.linux?.sysctl ?? {})) p.child('write', [join('/proc/sys', k.replace(/\./g, '/')), v], `sysctl ${k}=${v}`);
  if (c.hostname) p.child('hostname', [c.hostname], 'the container\'s hostname');
  if (c.domainname) p.child('write', ['/proc/sys/kernel/domainname', c.domainname], 'the container\'s NIS domain name');
  for (const m of c.linux?.maskedPaths ?? []) p.child('mask', [m], 'linux.maskedPaths: hidden');
  for (const r of c.linux?.readonlyPaths ?? []) p.child('readonly', [r], 'linux.readonlyPaths: readable, never writable');

  if (proc.terminal) p.child('pty', [], 'open a pty in the container\'s devpts, make it the controlling terminal');
  else p.child('setsid', [], 'a session of its own, as runc\'s init has');
  for (const r of proc.rlimits ?? []) {
    const res = RLIMITS[r.type];
    if (res === undefined) throw new SkiffError('EUSAGE', `config.json: unknown rlimit "${r.type}"`, 'use the names of getrlimit(2), e.g. RLIMIT_NOFILE');
    p.child('rlimit', [String(res), BigInt(r.soft).toString(), BigInt(r.hard).toString()], `${r.type} ${r.soft}/${r.hard}`);
  }
  if (proc.user.umask !== undefined) p.child('umask', [proc.user.umask.toString(8)], 'process.user.umask');
  // runc's order: without no_new_privs the filter is loaded while the process may still do so
  // (CAP_SYS_ADMIN), before capabilities drop; with it, as late as possible.
  const filter = c.linux?.seccomp ? [compileSeccomp(c.linux.seccomp as LinuxSeccomp, undefined)] : null;
  // Before the filter: a profile may lack close_range (runtime-tools' default does).
  p.child('close-fds', [], 'no descriptor of skiff\'s leaks into the container');
  if (filter && !proc.noNewPrivileges) p.child('seccomp', filter, 'linux.seccomp, loaded before the capabilities drop (no no_new_privs)');
  const caps = proc.capabilities;
  if (caps) p.child('cap-bound', [capList(caps.bounding)], 'capabilities.bounding; keep the rest across the uid change');
  const groups = setgroups ? (proc.user.additionalGids ?? []).join(',') : '-';
  p.child('user', [String(proc.user.uid), String(proc.user.gid), groups], `run as uid ${proc.user.uid}, gid ${proc.user.gid}`);
  if (caps) {
    p.child('cap-sets', [capList(caps.effective), capList(caps.permitted), capList(caps.inheritable), capList(caps.ambient)],
      'capabilities.effective, permitted, inheritable and ambient');
  }
  if (proc.noNewPrivileges) p.child('no-new-privs', [], 'process.noNewPrivileges');
  p.child('chdir', [proc.cwd], 'process.cwd');
  const env = proc.env ?? [];
  p.child('env', env, 'process.env');
  if (filter && proc.noNewPrivileges) p.child('seccomp', filter, 'linux.seccomp, loaded last (no_new_privs is set)');
  if (t.mode === 'create') p.child('fifo-wait', [], 'block on the exec fifo until `skiff-oci start`');
  p.child('exec', [pathOf(env), ...proc.args!], `run ${JSON.stringify(proc.args)}`);
  return { plan: p, newNamespaces: fresh, userns };
}
