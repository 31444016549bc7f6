// Unprivileged user namespaces: the root of rootless mode. Three switches can turn them off:
// Debian's old kernel.unprivileged_userns_clone patch, user.max_user_namespaces, and Ubuntu's
// AppArmor restriction (kernel.apparmor_restrict_unprivileged_userns, 23.10+).
import type { Check } from '../types.js';

const CLONE = '/proc/sys/kernel/unprivileged_userns_clone';
const MAX = '/proc/sys/user/max_user_namespaces';
const APPARMOR = '/proc/sys/kernel/apparmor_restrict_unprivileged_userns';

export const userNamespacesCheck: Check = {
  id: 'userns',
  title: 'unprivileged user namespaces',
  neededFor: ['rootless'],
  run(probe) {
    const clone = probe.readFile(CLONE)?.trim();
    if (clone === '0') {
      return { status: 'fail', detail: 'kernel.unprivileged_userns_clone = 0', fix: "sudo sysctl -w kernel.unprivileged_userns_clone=1 (persist: echo 'kernel.unprivileged_userns_clone=1' | sudo tee /etc/sysctl.d/90-skiff.conf)" };
    }
    const max = probe.readFile(MAX)?.trim();
    if (max === undefined) {
      return { status: 'fail', detail: `${MAX} is missing (kernel without CONFIG_USER_NS)`, fix: 'boot a kernel built with CONFIG_USER_NS=y' };
    }
    if (Number(max) === 0) {
      return { status: 'fail', detail: 'user.max_user_namespaces = 0', fix: "sudo sysctl -w user.max_user_namespaces=15000 (persist in /etc/sysctl.d/90-skiff.conf)" };
    }
    if (probe.readFile(APPARMOR)?.trim() === '1') {
      return { status: 'fail', detail: 'AppArmor restricts unprivileged user namespaces', fix: "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (persist in /etc/sysctl.d/90-skiff.conf), or add an AppArmor profile with `userns,` for node" };
    }
    return { status: 'ok', detail: `allowed (max ${max})` };
  },
};
