// The last steps of every process that enters a container (run's first process and exec alike): limits,
// capabilities, user, no_new_privs, working directory, descriptors, environment, the seccomp filter, execve.
// One sequence for both, so exec gets exactly the confinement of the container's first process.
import type { Plan } from './plan.js';
import { seccompStepArgs, type LinuxSeccomp } from './seccomp.js';

/** How a container's processes are confined; computed by the engine (src/security), applied here. */
export interface ProcessSecurity {
  /** Capability numbers kept in the bounding, permitted and effective sets. */
  caps: number[];
  /** The OCI linux.seccomp to load, or null for none (unconfined, privileged). */
  seccomp: LinuxSeccomp | null;
  noNewPrivileges: boolean;
  /** RLIMIT_NPROC (soft = hard) where no pids cgroup caps the container. */
  nproc?: number;
}

export interface ProcessStepsSpec {
  args: string[]; env: string[]; cwd: string; uid: number; gid: number; groups: number[] | null; path: string;
}

const RLIMIT_NPROC = 6;

export function appendProcessSteps(p: Plan, sec: ProcessSecurity, proc: ProcessStepsSpec, first: boolean): void {
  const filter = sec.seccomp ? seccompStepArgs(sec.seccomp) : null;
  if (sec.nproc !== undefined) {
    p.child('rlimit', [String(RLIMIT_NPROC), String(sec.nproc), String(sec.nproc)], `at most ${sec.nproc} processes (RLIMIT_NPROC: no pids cgroup here)`);
  }
  // Loading a filter needs no_new_privs or CAP_SYS_ADMIN. Without no_new_privs it is loaded here, while the
  // process still has every capability in its user namespace; the later steps' calls are all in the profile.
  if (filter && !sec.noNewPrivileges) p.child('seccomp', filter, 'Docker\'s seccomp profile (before dropping capabilities: no_new_privs is off)');
  const keep = [...sec.caps].sort((a, b) => a - b).join(',');
  p.child('caps', [keep], first ? 'keep only the container\'s capabilities, drop the rest from the bounding set' : 'the same capabilities as the container\'s first process');
  p.child('user', [String(proc.uid), String(proc.gid), proc.groups === null ? '-' : proc.groups.join(',')], `run as uid ${proc.uid}, gid ${proc.gid}`);
  if (sec.noNewPrivileges) p.child('no-new-privs', [], 'setuid binaries cannot gain privileges');
  p.child('chdir', [proc.cwd], 'the working directory');
  p.child('close-fds', [], 'no descriptor of skiff\'s leaks into the container');
  p.child('env', proc.env, 'the container\'s environment');
  if (filter && sec.noNewPrivileges) p.child('seccomp', filter, 'Docker\'s seccomp profile, loaded last: only execve and the path lookup run under it before the program');
  p.child('exec', [proc.path, ...proc.args], `run ${JSON.stringify(proc.args)}`);
}
