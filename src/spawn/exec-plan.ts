// `skiff exec`: a new process inside a running container. The launcher first joins all of the
// container's namespaces (one setns on a pidfd, so it is atomic), then forks so the new process is
// really inside the pid namespace, and only then sets user, capabilities and environment.
import { Plan } from './plan.js';
import { CLONE } from './namespaces.js';
import { appendProcessSteps, type ProcessSecurity } from './process-steps.js';

export interface ExecSpec {
  containerPid: number;
  joinNet: boolean;
  cgroupDir?: string;
  process: { args: string[]; env: string[]; cwd: string; uid: number; gid: number; /** null: leave supplementary groups alone (setgroups denied) */ groups: number[] | null; tty: boolean; path: string };
  /** The container's own confinement (capabilities, seccomp, no_new_privs, process cap). */
  security: ProcessSecurity;
  trace: boolean;
}

export function buildExecPlan(s: ExecSpec): Plan {
  const p = new Plan();
  if (s.trace) p.parent('trace', [], 'report how long every step takes');
  const ns = CLONE.NEWUSER | CLONE.NEWNS | CLONE.NEWPID | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWCGROUP | (s.joinNet ? CLONE.NEWNET : 0);
  if (s.cgroupDir) p.parent('open-cgroup', [s.cgroupDir], 'open the container\'s cgroup while its host path is still visible');
  p.parent('join', [String(s.containerPid), String(ns >>> 0)], 'enter every namespace of the container at once (setns on its pidfd)');
  p.parent('clone', ['0', ''], `fork: only a child of the joiner is inside the pid namespace${s.cgroupDir ? '; born in the container\'s cgroup' : ''}`);
  p.parent('report-pid', [], 'tell the engine the new process\'s pid');
  p.parent('release', [], 'let it go on');
  if (s.process.tty) p.parent('recv-pty', [], 'receive the pty master opened in the container\'s devpts');
  p.parent('wait-exec', [], 'learn whether execve succeeded');
  p.parent('supervise', [], 'forward signals and relay the terminal until the process ends');
  p.child('wait-parent', [], 'wait for the parent');
  if (s.process.tty) p.child('pty', [], 'a pty of the container\'s own, as controlling terminal');
  else p.child('setsid', [], 'a session of its own');
  const { args, env, cwd, uid, gid, groups, path } = s.process;
  appendProcessSteps(p, s.security, { args, env, cwd, uid, gid, groups, path }, false);
  return p;
}
