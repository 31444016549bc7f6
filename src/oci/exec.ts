// `exec`: one more process in a created or running container. Its description is the container's
// own config.json process with the command line's changes (or --process FILE, as containerd passes
// it). The launcher joins the init's namespaces on a pidfd (all at once), forks so the new process
// is inside the pid namespace, then applies user, capabilities and environment, as for the init.
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';
import { Plan } from '../spawn/plan.js';
import { beforeEntryClone } from '../spawn/entry.js';
import { compileSeccomp, type LinuxSeccomp } from '../spawn/seccomp.js';
import { capList } from './capabilities.js';
import { readConfig, writePidFile } from './create.js';
import { launchPlan } from './launcher.js';
import type { OciStore } from './state.js';
import type { OciProcess } from './spec.js';
import { NS_FLAGS, pathOf } from './translate.js';

export interface ExecOptions {
  processFile?: string;
  args: string[];
  cwd?: string;
  env: string[];
  tty?: boolean;
  user?: string;
  additionalGids: string[];
  caps: string[];
  noNewPrivs?: boolean;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
}

const PROC_NS: Record<string, string> = { pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time' };

function processFor(store: OciStore, id: string, o: ExecOptions): OciProcess {
  if (o.processFile) {
    try {
      return JSON.parse(readFileSync(resolve(o.processFile), 'utf8')) as OciProcess;
    } catch (e) {
      throw new SkiffError('EUSAGE', `cannot read --process ${o.processFile}: ${(e as Error).message}`, 'give a JSON file with the runtime-spec process object');
    }
  }
  const base = readConfig(store.read(id).bundle).process;
  if (!base) throw new SkiffError('EUSAGE', 'the container\'s config.json has no process', 'use --process FILE');
  const p: OciProcess = structuredClone(base);
  if (!o.args.length) throw new SkiffError('EUSAGE', 'exec needs a command', 'give it after the container id, or use --process FILE');
  p.args = o.args;
  if (o.cwd) p.cwd = o.cwd;
  if (o.env.length) p.env = [...(p.env ?? []), ...o.env];
  p.terminal = !!o.tty;
  if (o.user) {
    const [u, g] = o.user.split(':');
    p.user = { ...p.user, uid: Number(u), gid: g === undefined ? p.user.gid : Number(g) };
    if (!Number.isInteger(p.user.uid) || !Number.isInteger(p.user.gid)) throw new SkiffError('EUSAGE', `--user ${o.user}: give numeric uid[:gid]`, 'names are not resolved by skiff-oci');
  }
  if (o.additionalGids.length) p.user.additionalGids = o.additionalGids.map(Number);
  if (o.caps.length && p.capabilities) {
    for (const set of ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const) p.capabilities[set] = [...(p.capabilities[set] ?? []), ...o.caps];
  }
  if (o.noNewPrivs) p.noNewPrivileges = true;
  return p;
}

export async function exec(store: OciStore, id: string, o: ExecOptions): Promise<number> {
  const r = store.read(id);
  const status = store.status(r);
  if (status === 'stopped') throw new SkiffError('ESTATE', `cannot exec in container "${id}": it is stopped`, 'start a new container');
  const proc = processFor(store, id, o);
  if (!proc.args?.length) throw new SkiffError('EUSAGE', 'the process has no args', 'give the command to run');
  // Only namespaces that differ from ours: setns into one we are already in fails with EINVAL.
  let flags = 0;
  for (const t of new Set(r.namespaces)) {
    const name = PROC_NS[t];
    if (!name) continue;
    try {
      if (readlinkSync(`/proc/${r.pid}/ns/${name}`) !== readlinkSync(`/proc/self/ns/${name}`)) flags |= NS_FLAGS[t]!;
    } catch { /* a kernel without this namespace kind */ }
  }
  let setgroups = true;
  try { setgroups = readFileSync(`/proc/${r.pid}/setgroups`, 'utf8').trim() === 'allow'; } catch { /* keep */ }
  const p = new Plan();
  if (trace.enabled) p.parent('trace', [], 'report how long every step takes');
  p.parent('join', [String(r.pid), String(flags >>> 0)], 'enter the container\'s namespaces at once (setns on its pidfd)');
  beforeEntryClone(p);
  p.parent('clone', ['0', ''], 'fork: only a child of the joiner is inside the pid namespace');
  p.parent('report-pid', [], 'tell skiff-oci the pid, for --pid-file');
  const cgroups = r.cgroupDirs ?? [];
  if (cgroups.length) p.parent('wait-go', [], 'wait while skiff-oci puts it in the container\'s cgroups');
  p.parent('release', [], 'let it go on');
  if (proc.terminal) {
    p.parent('recv-pty', [], 'receive the pty master opened in the container\'s devpts');
    if (o.consoleSocket) p.parent('send-pty', [resolve(o.consoleSocket)], 'hand the pty master to --console-socket');
  }
  p.parent('wait-exec', [], 'learn whether execve succeeded');
  if (o.detach) p.parent('detach', [], 'leave: the process is adopted by the caller\'s subreaper');
  else p.parent('supervise', [], 'forward signals, relay the terminal, return the exit status');
  p.child('wait-parent', [], 'wait for the parent');
  if (!r.namespaces.includes('mount')) {
    // No mount namespace to join: the container's root is the init's chroot, which setns does not carry.
    p.child('open-root', [`/proc/${r.pid}/root`], 'the container has no mount namespace: its root is its init\'s chroot');
    p.child('chroot', [], 'confine the process to it, as the init is');
  }
  if (proc.terminal) p.child('pty', [], 'a pty of the container\'s own, as controlling terminal');
  else p.child('setsid', [], 'a session of its own');
  for (const rl of proc.rlimits ?? []) {
    const res = ['RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE', 'RLIMIT_RSS', 'RLIMIT_NPROC', 'RLIMIT_NOFILE',
      'RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_LOCKS', 'RLIMIT_SIGPENDING', 'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME'].indexOf(rl.type);
    if (res >= 0) p.child('rlimit', [String(res), BigInt(rl.soft).toString(), BigInt(rl.hard).toString()], rl.type);
  }
  if (proc.user.umask !== undefined) p.child('umask', [proc.user.umask.toString(8)], 'process.user.umask');
  const seccomp = readConfig(r.bundle).linux?.seccomp;
  const filter = seccomp ? [compileSeccomp(seccomp as LinuxSeccomp, undefined)] : null;
  // Before the filter: a profile may lack close_range (runtime-tools' default does).
  p.child('close-fds', [], 'no descriptor of skiff\'s leaks into the container');
  if (filter && !proc.noNewPrivileges) p.child('seccomp', filter, 'the container\'s linux.seccomp, before the capabilities drop');
  const caps = proc.capabilities;
  if (caps) p.child('cap-bound', [capList(caps.bounding)], 'capabilities.bounding');
  p.child('user', [String(proc.user.uid), String(proc.user.gid), setgroups ? (proc.user.additionalGids ?? []).join(',') : '-'], `run as uid ${proc.user.uid}`);
  if (caps) p.child('cap-sets', [capList(caps.effective), capList(caps.permitted), capList(caps.inheritable), capList(caps.ambient)], 'the process\'s capability sets');
  if (proc.noNewPrivileges) p.child('no-new-privs', [], 'process.noNewPrivileges');
  p.child('chdir', [proc.cwd || '/'], 'process.cwd');
  const env = proc.env ?? [];
  p.child('env', env, 'process.env');
  if (filter && proc.noNewPrivileges) p.child('seccomp', filter, 'the container\'s linux.seccomp, loaded last');
  p.child('exec', [pathOf(env), ...proc.args], `run ${JSON.stringify(proc.args)}`);
  const res = await launchPlan(p, {
    onPid: (pid) => {
      for (const d of cgroups) { try { writeFileSync(join(d, 'cgroup.procs'), String(pid)); } catch { /* the container's cgroup went away */ } }
      writePidFile(o.pidFile, pid);
    },
  });
  return o.detach ? 0 : res.exitCode ?? 0;
}
