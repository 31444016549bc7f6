// cgroup v2: --memory, --cpus and --pids-limit need the unified hierarchy with those controllers,
// and, rootless, a subtree delegated by systemd to the user. What is usable is src/cgroups' call
// (cgroups/doctor.ts: checkCgroups); this check turns its list into one doctor line.
import type { CgroupCheck } from '../../cgroups/doctor.js';
import type { Check } from '../types.js';

/** Without these, Docker's limit flags are refused; cpuset and io only narrow what works. */
const NEEDED = ['cpu controller', 'memory controller', 'pids controller'];
const STRUCTURE = ['cgroup v2 mount', 'cgroup for containers'];
const DELEGATE = 'then delegate controllers to users: /etc/systemd/system/user@.service.d/delegate.conf with [Service] Delegate=cpu cpuset io memory pids (systemctl daemon-reload, log in again)';

function controllerName(c: CgroupCheck): string {
  return c.name.replace(/ controller$/, '');
}

export const cgroupsCheck: Check = {
  id: 'cgroups',
  title: 'cgroup v2 (resource limits)',
  neededFor: ['rootful', 'rootless'],
  run(probe) {
    const checks = probe.cgroupChecks();
    const mount = checks.find((c) => c.name === 'cgroup v2 mount');
    const usable = checks.filter((c) => c.ok && c.name.endsWith(' controller')).map(controllerName);
    const broken = checks.filter((c) => !c.ok);
    if (broken.length === 0) return { status: 'ok', detail: `${mount?.detail ?? 'v2'}, controllers: ${usable.join(' ')}` };

    const fatal = broken.filter((c) => STRUCTURE.includes(c.name) || NEEDED.includes(c.name));
    const missing = broken.filter((c) => c.name.endsWith(' controller')).map(controllerName);
    const hybrid = mount && !mount.ok;
    // On a hybrid host the controllers come back with the unified hierarchy: that switch is the fix.
    const fixes = [...new Set((hybrid ? [mount] : broken).map((c) => c.fix).filter((f): f is string => !!f))];
    if (hybrid && probe.mode() === 'rootless') fixes.push(DELEGATE);
    const where = hybrid ? `not unified: ${mount.detail}` : broken.filter((c) => STRUCTURE.includes(c.name)).map((c) => `${c.name}: ${c.detail}`).join('; ');
    const detail = [where, missing.length ? `controllers unavailable: ${missing.join(' ')}` : ''].filter(Boolean).join('; ');
    if (fatal.length === 0) {
      return { status: 'warn', detail: `${detail} (limits on ${usable.join(' ')} work)`, fix: fixes.join('; ') };
    }
    return { status: 'fail', detail: `${detail} — --memory/--cpus/--pids-limit won't work`, fix: fixes.join('; ') };
  },
};
