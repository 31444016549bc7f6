// A rootless engine made from an ordinary login session (ssh, a console) starts in a delegated systemd scope
// of its own, as podman does: systemd delegates cgroup controllers to the user's manager (user@UID.service),
// not to login sessions (session-N.scope), so containers can only have limits — and a process can only be
// cloned into their cgroups — from inside the manager's tree. The user's manager is asked over D-Bus
// (busctl) to make a transient scope with Delegate=yes holding this process; the holder it launches next is
// born there, and `skiff-runtime enter` brings later commands of the session into the holder's cgroup
// (native-bindings/runtime/enter.c). A holder first made by a `systemctl --user` service gets a scope too, so
// that stopping the service does not take the engine and its containers with it. Without a user manager,
// nothing changes: a limit is then refused with its clear error (src/cgroups/support.ts).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { trace } from '../trace.js';
import { canWrite, ownCgroup } from '../cgroups/detect.js';

const CGROUP2 = '/sys/fs/cgroup';

/** Before the holder is launched: move this process into a delegated scope if it is not in one already. */
export function enterDelegatedScope(): void {
  // Only on a unified hierarchy (a hybrid host's empty v2 has no controllers to delegate).
  if (!existsSync(join(CGROUP2, 'cgroup.controllers'))) return;
  const own = ownCgroup();
  if (own === undefined) return;
  const dir = join(CGROUP2, own);
  // A delegated cgroup is kept — unless it is a service's: the engine must outlive the unit that happened to
  // make it (skiff-restart.service at boot, the API's skiff.service), whose stop or restart kills its cgroup.
  const delegated = canWrite(join(dir, 'cgroup.procs')) && canWrite(join(dir, 'cgroup.subtree_control'));
  if (delegated && !own.endsWith('.service')) return;
  const runtimeDir = process.env.XDG_RUNTIME_DIR || `/run/user/${process.getuid?.()}`;
  if (!existsSync(join(runtimeDir, 'bus')) && !process.env.DBUS_SESSION_BUS_ADDRESS) {
    trace.step('cgroup', `${own} is not delegated and no systemd user manager answers`, 'limits will be refused with their own error');
    return;
  }
  const unit = `skiff-engine-${process.pid}.scope`;
  trace.step('cgroup', `systemd --user: StartTransientUnit ${unit} Delegate=yes PIDs=${process.pid}`, delegated
    ? `${own} is a service's cgroup: the engine and its containers live in a scope of their own, which outlives it`
    : `${own} is a login session's cgroup, not delegated: the engine and its containers live in a scope of the user's manager`);
  const r = spawnSync('busctl', ['--user', '--quiet', 'call', 'org.freedesktop.systemd1', '/org/freedesktop/systemd1',
    'org.freedesktop.systemd1.Manager', 'StartTransientUnit', 'ssa(sv)a(sa(sv))', unit, 'fail',
    '3', 'PIDs', 'au', '1', String(process.pid), 'Delegate', 'b', 'true', 'Description', 's', 'skiff rootless engine', '0'],
  { encoding: 'utf8', timeout: 10_000, env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir } });
  if (r.status !== 0) {
    trace.step('cgroup', `no delegated scope: ${(r.stderr || String(r.error ?? '')).trim()}`, 'limits will be refused with their own error');
    return;
  }
  // The job that moves us runs in the manager: wait until the kernel says we are there.
  const end = Date.now() + 5000;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (!ownCgroup()?.endsWith(`/${unit}`) && Date.now() < end) Atomics.wait(nap, 0, 0, 10);
}
