// `skiff exec`: a new process inside a running container. The launcher first joins all of the
// container's namespaces (one setns on a pidfd, so it is atomic), then forks so the new process is
// really inside the pid namespace; from there on it is the shared entry path of entry.ts.
import { Plan } from './plan.js';
import { CLONE } from './namespaces.js';
import { beforeEntryClone, entryHead, entryTail, type EntryProcess } from './entry.js';

export interface ExecSpec {
  containerPid: number;
  joinNet: boolean;
  cgroupDir?: string;
  process: EntryProcess;
  trace: boolean;
}

export function buildExecPlan(s: ExecSpec): Plan {
  const p = new Plan();
  if (s.trace) p.parent('trace', [], 'report how long every step takes');
  const ns = CLONE.NEWUSER | CLONE.NEWNS | CLONE.NEWPID | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWCGROUP | (s.joinNet ? CLONE.NEWNET : 0);
  if (s.cgroupDir) p.parent('open-cgroup', [s.cgroupDir], 'open the container\'s cgroup while its host path is still visible');
  p.parent('join', [String(s.containerPid), String(ns >>> 0)], 'enter every namespace of the container at once (setns on its pidfd)');
  beforeEntryClone(p);
  p.parent('clone', ['0', ''], `fork: only a child of the joiner is inside the pid namespace${s.cgroupDir ? '; born in the container\'s cgroup' : ''}`);
  p.parent('report-pid', [], 'tell the engine the new process\'s pid');
  p.parent('release', [], 'let it go on');
  if (s.process.tty) p.parent('recv-pty', [], 'receive the pty master opened in the container\'s devpts');
  p.parent('wait-exec', [], 'learn whether execve succeeded');
  p.parent('supervise', [], 'forward signals and relay the terminal until the process ends');
  entryHead(p);
  p.child('wait-parent', [], 'wait for the parent');
  entryTail(p, s.process);
  return p;
}
