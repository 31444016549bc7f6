// cgroup v2: --memory, --cpus and --pids-limit need the unified hierarchy with those controllers,
// and, rootless, a subtree delegated by systemd to the user. Minimal detection from /proc/self/mounts;
// src/cgroups owns the real cgroup code.
import type { Check, Probe } from '../types.js';

const WANTED = ['cpu', 'memory', 'pids'];
const SWITCH = 'add systemd.unified_cgroup_hierarchy=1 to GRUB_CMDLINE_LINUX in /etc/default/grub, run sudo update-grub and reboot';
const DELEGATE = 'delegate controllers to users: sudo mkdir -p /etc/systemd/system/user@.service.d && printf "[Service]\\nDelegate=cpu cpuset io memory pids\\n" | sudo tee /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl daemon-reload, then log in again';

export type CgroupLayout = 'unified' | 'hybrid' | 'legacy' | 'none';

/** Which hierarchy the host mounted, and where the v2 tree (if any) is. */
export function cgroupLayout(mounts: string): { layout: CgroupLayout; v2Mount?: string } {
  const rows = mounts.split('\n').map((l) => l.split(' ')).filter((r) => r.length >= 3);
  const v2 = rows.find((r) => r[2] === 'cgroup2' && r[1]!.startsWith('/sys/fs/cgroup'));
  const v1 = rows.some((r) => r[2] === 'cgroup' && r[1]!.startsWith('/sys/fs/cgroup'));
  if (v2 && v2[1] === '/sys/fs/cgroup') return { layout: 'unified', v2Mount: v2[1] };
  if (v2) return { layout: 'hybrid', v2Mount: v2[1]! };
  return { layout: v1 ? 'legacy' : 'none' };
}

function controllers(probe: Probe, dir: string): string[] {
  return (probe.readFile(`${dir}/cgroup.controllers`) ?? '').trim().split(/\s+/).filter(Boolean);
}

export const cgroupsCheck: Check = {
  id: 'cgroups',
  title: 'cgroup v2 (resource limits)',
  neededFor: ['rootful', 'rootless'],
  run(probe) {
    const { layout, v2Mount } = cgroupLayout(probe.readFile('/proc/self/mounts') ?? '');
    if (layout === 'hybrid') {
      const v2 = controllers(probe, v2Mount!).join(' ') || 'none';
      const fix = probe.mode() === 'rootless' ? `${SWITCH}; then ${DELEGATE}` : SWITCH;
      return { status: 'fail', detail: `hybrid hierarchy (controllers on v1; v2 at ${v2Mount} has controllers: ${v2}): --memory/--cpus/--pids-limit won't work`, fix };
    }
    if (layout !== 'unified') {
      const fix = probe.mode() === 'rootless' ? `${SWITCH}; then ${DELEGATE}` : SWITCH;
      return { status: 'fail', detail: layout === 'legacy' ? 'cgroup v1 only: --memory/--cpus/--pids-limit won\'t work' : 'no cgroup filesystem mounted', fix };
    }
    const root = controllers(probe, '/sys/fs/cgroup');
    if (probe.mode() === 'rootful') {
      const missing = WANTED.filter((c) => !root.includes(c));
      if (missing.length) return { status: 'fail', detail: `v2, but controllers missing: ${missing.join(' ')}`, fix: 'boot a kernel with those controllers enabled (check cgroup_disable= on the kernel cmdline)' };
      return { status: 'ok', detail: `v2, controllers: ${root.join(' ')}` };
    }
    const { uid } = probe.invokingUser();
    const mine = `/sys/fs/cgroup/user.slice/user-${uid}.slice/user@${uid}.service`;
    if (!probe.exists(mine)) {
      return { status: 'fail', detail: `v2, but no systemd user session cgroup (${mine})`, fix: `log in through systemd-logind (ssh or a console login, not su), then ${DELEGATE}` };
    }
    const delegated = controllers(probe, mine);
    const missing = WANTED.filter((c) => !delegated.includes(c));
    if (missing.length) return { status: 'fail', detail: `v2, but not delegated to you: ${missing.join(' ')}`, fix: DELEGATE };
    return { status: 'ok', detail: `v2, delegated: ${delegated.join(' ')}` };
  },
};
