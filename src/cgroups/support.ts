// Can this machine apply these limits? If not, the one ECGROUP error that says which flag, which
// controller, why (hybrid host, no delegation, controller not offered) and what to do about it.
import { SkiffError } from '../errors.js';
import { v1Controllers, type CgroupEnv } from './detect.js';
import { LIMIT_FLAGS, requestedLimits, type Limits } from './limits.js';

/** The ECGROUP error for a limit that cannot be applied here: names the flag, the controller and the fix. */
export function missingControllerError(env: CgroupEnv, key: keyof Limits): SkiffError {
  const { flag, controller } = LIMIT_FLAGS[key];
  const what = `cannot apply ${flag}: the ${controller} controller of cgroup v2 is not available here`;
  let why: string;
  let hint: string;
  const v1 = env.mount?.layout !== 'unified' ? v1Controllers().get(controller) : undefined;
  if (!env.mount) {
    why = 'no cgroup2 filesystem is mounted';
    hint = 'mount it (mount -t cgroup2 none /sys/fs/cgroup) or boot with systemd.unified_cgroup_hierarchy=1';
  } else if (v1 || (env.mount.layout === 'hybrid' && env.base)) {
    why = `this machine uses hybrid cgroups: ${controller} is bound to cgroup v1${v1 ? ` at ${v1}` : ''} and cgroup v2 at ${env.mount.path} has no controllers`;
    hint = 'boot with systemd.unified_cgroup_hierarchy=1 (add it to GRUB_CMDLINE_LINUX in /etc/default/grub, run update-grub, reboot), or run without ' + flag;
  } else if (!env.base) {
    why = env.unusable ?? 'skiff may not use cgroup v2 here';
    hint = env.rootless
      ? `run skiff in a delegated scope: systemd-run --user --scope -p Delegate=yes skiff …, or as root; or run without ${flag}`
      : `run without ${flag}`;
  } else {
    why = `${env.base} offers only: ${env.available.join(' ') || 'no controllers'}`;
    hint = env.rootless
      ? `let systemd delegate it: systemctl edit user@.service, add [Service] Delegate=cpu cpuset io memory pids, then log in again; or run without ${flag}`
      : `enable it in the parent: echo +${controller} > ${env.mount.path}/cgroup.subtree_control; or run without ${flag}`;
  }
  return new SkiffError('ECGROUP', `${what} (${why})`, hint);
}

/** Refuse, before anything is created, a limit whose controller this machine cannot give us. */
export function checkLimitsSupported(env: CgroupEnv, limits: Limits): void {
  for (const key of requestedLimits(limits)) {
    if (!env.base || !env.available.includes(LIMIT_FLAGS[key].controller)) throw missingControllerError(env, key);
  }
}
