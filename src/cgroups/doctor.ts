// `skiff doctor`, the cgroup part: what skiff can do with cgroups on this machine, and how to fix what
// it cannot. Read-only: it never creates or writes a cgroup.
import { detectCgroups, KNOWN_CONTROLLERS, v1Controllers } from './detect.js';
import { LIMIT_FLAGS, type Limits } from './limits.js';

export interface CgroupCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when not ok. */
  fix?: string;
}

const FLAGS_OF: Record<string, string[]> = {};
for (const [, { flag, controller }] of Object.entries(LIMIT_FLAGS) as [keyof Limits, { flag: string; controller: string }][]) {
  (FLAGS_OF[controller] ??= []).push(flag);
}

export function checkCgroups(): CgroupCheck[] {
  const env = detectCgroups();
  const checks: CgroupCheck[] = [];
  const unifiedFix = 'boot with systemd.unified_cgroup_hierarchy=1 (GRUB_CMDLINE_LINUX in /etc/default/grub, update-grub, reboot)';
  checks.push(
    env.mount
      ? { name: 'cgroup v2 mount', ok: env.mount.layout === 'unified', detail: `${env.mount.path} (${env.mount.layout})`, ...(env.mount.layout === 'unified' ? {} : { fix: unifiedFix }) }
      : { name: 'cgroup v2 mount', ok: false, detail: 'no cgroup2 filesystem is mounted', fix: unifiedFix },
  );
  checks.push(
    env.base
      ? { name: 'cgroup for containers', ok: true, detail: `${env.parent} (${env.rootless ? 'delegated to this user' : 'rootful'})` }
      : {
          name: 'cgroup for containers',
          ok: false,
          detail: env.unusable ?? 'unusable',
          fix: env.rootless ? 'run skiff in a delegated scope: systemd-run --user --scope -p Delegate=yes skiff …' : unifiedFix,
        },
  );
  const v1 = env.mount?.layout === 'unified' ? new Map<string, string>() : v1Controllers();
  for (const c of KNOWN_CONTROLLERS) {
    const flags = FLAGS_OF[c]?.join(', ');
    if (env.available.includes(c)) {
      checks.push({ name: `${c} controller`, ok: true, detail: `usable (${flags ?? 'BLOCK I/O in stats'})` });
    } else {
      const where = v1.get(c);
      checks.push({
        name: `${c} controller`,
        ok: false,
        detail: `not available to skiff${where ? `: bound to cgroup v1 at ${where}` : ''} — ${flags ? `${flags} will be refused` : 'stats show no BLOCK I/O'}`,
        fix: where || !env.base ? unifiedFix : env.rootless ? 'systemctl edit user@.service: [Service] Delegate=cpu cpuset io memory pids; log in again' : `echo +${c} > ${env.base}/cgroup.subtree_control`,
      });
    }
  }
  return checks;
}
