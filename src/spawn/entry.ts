// The one entry path into a container, shared by every plan whose process ends up inside one (run's
// init, exec, build's RUN, the OCI runtime's processes). Security is a property of these steps, not of
// each verb: the process is non-dumpable from its clone until execve, carries no host descriptor, takes
// its identity and capabilities, resolves its working directory beneath the root, and only then execs.
import type { Plan } from './plan.js';
import type { LinuxSeccomp } from './seccomp.js';

/** How a container's processes are confined; computed by the engine (src/security), applied here. */
export interface ProcessSecurity {
  /** Capability numbers kept in the bounding, permitted and effective sets. */
  caps: number[];
  /** The OCI linux.seccomp and its compiled program (hex, see compileSeccomp), or null for none (unconfined, privileged). */
  seccomp: { filter: LinuxSeccomp; program: string } | null;
  noNewPrivileges: boolean;
  /** RLIMIT_NPROC (soft = hard) where no pids cgroup caps the container. */
  nproc?: number;
  /** --ulimit: resource number, soft, hard (decimal; RLIM_INFINITY for unlimited). */
  rlimits?: Array<[number, string, string]>;
}

const RLIMIT_NPROC = 6;

/** The process that enters the container, as every plan builder describes it. */
export interface EntryProcess {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  /** null: leave supplementary groups alone (setgroups denied) */
  groups: number[] | null;
  tty: boolean;
  /** the container's PATH, for the command lookup */
  path: string;
}

/** Parent steps right before the clone: whatever is cloned inherits them. */
export function beforeEntryClone(p: Plan): void {
  p.parent('non-dumpable', [], 'the clone inherits it: nothing in the container can open its /proc/<pid>/fd, mem or cwd until execve');
}

/** The first child step, before the process does anything else. */
export function entryHead(p: Plan): void {
  p.child('close-fds', [], 'close every descriptor of the engine and the launcher (a cgroup dir, log pipes …) before anything in the container can reach it');
}

/**
 * The last child steps, the same for every process that enters a container: its terminal, limits,
 * capabilities, user, no_new_privs, working directory beneath the root, descriptors, environment, the
 * seccomp filter, execve. `first`: the container's first process (else exec, with the same confinement).
 */
export function entryTail(p: Plan, proc: EntryProcess, sec: ProcessSecurity, first: boolean): void {
  if (proc.tty) p.child('pty', [], 'open a pty in the container\'s devpts, make it the controlling terminal');
  else p.child('setsid', [], 'a session of its own: terminal signals reach it only through skiff');
  const filter = sec.seccomp ? [sec.seccomp.program] : null;
  const rules = sec.seccomp ? `${sec.seccomp.filter.syscalls?.length ?? 0} rules, default ${sec.seccomp.filter.defaultAction}, ${sec.seccomp.program.length / 16} BPF instructions` : '';
  const ulimits = sec.rlimits ?? [];
  if (sec.nproc !== undefined && !ulimits.some(([r]) => r === RLIMIT_NPROC)) {
    p.child('rlimit', [String(RLIMIT_NPROC), String(sec.nproc), String(sec.nproc)], `at most ${sec.nproc} processes (RLIMIT_NPROC: no pids cgroup here)`);
  }
  for (const [res, soft, hard] of ulimits) p.child('rlimit', [String(res), soft, hard], `--ulimit: resource ${res} soft ${soft}, hard ${hard}`);
  // Loading a filter needs no_new_privs or CAP_SYS_ADMIN. Without no_new_privs it is loaded here, while the
  // process still has every capability in its user namespace; the later steps' calls are all in the profile.
  if (filter && !sec.noNewPrivileges) p.child('seccomp', filter, `the seccomp filter (${rules}), loaded before dropping capabilities: no_new_privs is off`);
  const keep = [...sec.caps].sort((a, b) => a - b).join(',');
  // As runc does: the bounding set shrinks while the process still has every capability (and keeps its
  // permitted set across the uid change), the ids change (setgroups/setresgid/setresuid need CAP_SETGID and
  // CAP_SETUID, which the container may not keep: `-u 1000 --cap-drop SETUID`), then the sets become exactly
  // the container's (a non-root uid loses them at execve, as under Docker; root keeps them).
  p.child('cap-bound', [keep], first ? 'drop every capability but the container\'s from the bounding set' : 'the same bounding set as the container\'s first process');
  p.child('user', [String(proc.uid), String(proc.gid), proc.groups === null ? '-' : proc.groups.join(',')], `run as uid ${proc.uid}, gid ${proc.gid}`);
  p.child('cap-sets', [keep, keep, '', ''], 'effective and permitted: the container\'s capabilities; none inheritable or ambient');
  if (sec.noNewPrivileges) p.child('no-new-privs', [], 'setuid binaries cannot gain privileges');
  p.child('chdir', [proc.cwd], 'the working directory, resolved beneath the container\'s root (no symlink or /proc/self/fd leads out)');
  p.child('close-fds', [], 'nothing opened since (a pty, a root) is carried into the container');
  p.child('env', proc.env, 'the container\'s environment');
  if (filter && sec.noNewPrivileges) p.child('seccomp', filter, `the seccomp filter (${rules}), loaded last: only execve and the path lookup run under it before the program`);
  p.child('exec', [proc.path, ...proc.args], `run ${JSON.stringify(proc.args)}`);
}
