// newuidmap/newgidmap (package uidmap) write the subordinate ranges into a user namespace; they only
// can if setuid root or given CAP_SETUID/CAP_SETGID as file capabilities (Fedora does the latter).
import type { Check, Probe } from '../types.js';

/**
 * Inside skiff's rootless engine namespace host root is not mapped, so a file it owns shows the overflow uid
 * (65534). Such an owner is root's as far as this check can tell: a setuid helper in /usr/bin is root's.
 */
function ownedByRoot(probe: Probe, uid: number): boolean {
  if (uid === 0) return true;
  const overflow = Number(probe.readFile('/proc/sys/kernel/overflowuid')?.trim() ?? '65534');
  const rootMapped = (probe.readFile('/proc/self/uid_map') ?? '').split('\n').some((line) => {
    const [, outside, count] = line.trim().split(/\s+/).map(Number);
    return outside !== undefined && count !== undefined && outside <= 0 && 0 < outside + count;
  });
  return uid === overflow && !rootMapped;
}

function helperState(probe: Probe, cmd: string): string | undefined {
  const path = probe.which(cmd);
  if (!path) return `${cmd} not found`;
  const st = probe.stat(path);
  if (!st) return `${cmd} unreadable`;
  const setuidRoot = (st.mode & 0o4000) !== 0 && ownedByRoot(probe, st.uid);
  if (setuidRoot || probe.getxattr(path, 'security.capability')) return undefined;
  return `${path} is neither setuid root nor has file capabilities`;
}

export const idMapHelpersCheck: Check = {
  id: 'newuidmap',
  title: 'newuidmap/newgidmap',
  neededFor: ['rootless'],
  run(probe) {
    const problems = ['newuidmap', 'newgidmap'].map((c) => helperState(probe, c)).filter((p): p is string => !!p);
    if (problems.length === 0) return { status: 'ok', detail: `${probe.which('newuidmap')}, ${probe.which('newgidmap')}` };
    const notFound = problems.some((p) => p.endsWith('not found'));
    return {
      status: 'fail',
      detail: problems.join('; '),
      fix: notFound ? 'sudo apt-get install uidmap' : 'sudo chmod u+s /usr/bin/newuidmap /usr/bin/newgidmap (or: sudo setcap cap_setuid+ep /usr/bin/newuidmap; sudo setcap cap_setgid+ep /usr/bin/newgidmap)',
    };
  },
};
