// `skiff exec`: a new process inside a running container. The launcher first joins all of the
// container's namespaces (one setns on a pidfd, so it is atomic), then forks so the new process is
// really inside the pid namespace; from there on it is the shared entry path of entry.ts.
import { Plan } from './plan.js';
import { CLONE } from './namespaces.js';
import { addStdioSteps, type SuperviseSpec } from './container-plan.js';
import { beforeEntryClone, entryHead, entryTail, type EntryProcess, type ProcessSecurity } from './entry.js';

export interface ExecSpec {
  containerPid: number;
  joinNet: boolean;
  cgroupDir?: string;
  process: EntryProcess;
  /** The container's own confinement (capabilities, seccomp, no_new_privs, process cap). */
  security: ProcessSecurity;
  supervise: SuperviseSpec;
  trace: boolean;
}

export function buildExecPlan(s: ExecSpec): Plan {
  const p = new Plan();
  if (s.trace) p.parent('trace', [], 'report how long every step takes');
  const sup = addStdioSteps(p, s.process.tty, s.supervise);
  // With a cgroup to be born in, the cgroup namespace is entered by the child after the clone: where cgroup2
  // is mounted with nsdelegate (systemd does), the kernel refuses CLONE_INTO_CGROUP from inside a cgroup
  // namespace whose root the launcher's own cgroup lies outside of.
  const cgroupNs = s.cgroupDir ? 0 : CLONE.NEWCGROUP;
  const ns = CLONE.NEWUSER | CLONE.NEWNS | CLONE.NEWPID | CLONE.NEWUTS | CLONE.NEWIPC | cgroupNs | (s.joinNet ? CLONE.NEWNET : 0);
  if (s.cgroupDir) p.parent('open-cgroup', [s.cgroupDir], 'open the container\'s cgroup while its host path is still visible');
  p.parent('join', [String(s.containerPid), String(ns >>> 0)], s.cgroupDir
    ? 'enter the container\'s namespaces but its cgroup namespace at once (setns on its pidfd, kept for the child)'
    : 'enter every namespace of the container at once (setns on its pidfd)');
  beforeEntryClone(p);
  p.parent('clone', ['0', ''], `fork: only a child of the joiner is inside the pid namespace${s.cgroupDir ? '; born in the container\'s cgroup' : ''}`);
  p.parent('report-pid', [], 'tell the engine the new process\'s pid');
  p.parent('release', [], 'let it go on');
  if (s.process.tty) p.parent('recv-pty', [], 'receive the pty master opened in the container\'s devpts');
  p.parent('wait-exec', [], 'learn whether execve succeeded');
  p.parent('supervise', sup, s.supervise.relay ? 'relay the caller\'s terminal or pipes to the process\'s, forward signals, until it ends' : 'reap the process (exec -d)');
  entryHead(p);
  if (s.cgroupDir) p.child('join-cgroupns', [], 'now in the container\'s cgroup, enter its cgroup namespace (and close the pidfd)');
  p.child('wait-parent', [], 'wait for the parent');
  entryTail(p, s.process, s.security, false);
  return p;
}
