// newuidmap/newgidmap (package uidmap) write the subordinate ranges into a user namespace; they only
// can if setuid root or given CAP_SETUID/CAP_SETGID as file capabilities (Fedora does the latter).
import type { Check, Probe } from '../types.js';

function helperState(probe: Probe, cmd: string): string | undefined {
  const path = probe.which(cmd);
  if (!path) return `${cmd} not found`;
  const st = probe.stat(path);
  if (!st) return `${cmd} unreadable`;
  const setuidRoot = (st.mode & 0o4000) !== 0 && st.uid === 0;
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
