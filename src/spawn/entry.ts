// The one entry path into a container, shared by every plan whose process ends up inside one (run's
// init, exec, build's RUN, the OCI runtime's processes). Security is a property of these steps, not of
// each verb: the process is non-dumpable from its clone until execve, carries no host descriptor, takes
// its identity and capabilities, resolves its working directory beneath the root, and only then execs.
import type { Plan } from './plan.js';
import { DEFAULT_CAPS } from './defaults.js';

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

/** The last child steps, the same for every process that enters a container. */
export function entryTail(p: Plan, proc: EntryProcess): void {
  if (proc.tty) p.child('pty', [], 'open a pty in the container\'s devpts, make it the controlling terminal');
  else p.child('setsid', [], 'a session of its own: terminal signals reach it only through skiff');
  const keep = Object.values(DEFAULT_CAPS).sort((a, b) => a - b).join(',');
  p.child('caps', [keep], 'keep only Docker\'s default capabilities, drop the rest from the bounding set');
  p.child('user', [String(proc.uid), String(proc.gid), proc.groups === null ? '-' : proc.groups.join(',')], `run as uid ${proc.uid}, gid ${proc.gid}`);
  p.child('no-new-privs', [], 'setuid binaries cannot gain privileges');
  p.child('chdir', [proc.cwd], 'the working directory, resolved beneath the container\'s root (no symlink or /proc/self/fd leads out)');
  p.child('close-fds', [], 'nothing opened since (a pty, a root) is carried into the container');
  p.child('env', proc.env, 'the container\'s environment');
  p.child('exec', [proc.path, ...proc.args], `run ${JSON.stringify(proc.args)}`);
}
