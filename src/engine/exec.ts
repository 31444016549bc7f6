// `skiff exec [-it] [-e] [-w] [-u] CONTAINER CMD…`: run a process in a running container.
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';
import { readConfig, resolveContainer } from '../state/containers.js';
import { refreshState } from '../state/liveness.js';
import { buildExecPlan } from '../spawn/exec-plan.js';
import { launch } from '../spawn/launch.js';
import { mergeEnv, pathOf } from './process-spec.js';
import { resolveUser } from './user-lookup.js';
import { setgroupsAllowed } from './id-maps.js';

export interface ExecFlags { interactive?: boolean; tty?: boolean; env?: string[]; workdir?: string; user?: string; detach?: boolean }

export async function execInContainer(ref: string, command: string[], f: ExecFlags): Promise<number> {
  const id = resolveContainer(ref);
  const state = await refreshState(id);
  if (!state.Running) throw new SkiffError('ESTATE', `container ${id.slice(0, 12)} is not running`, `start it first: skiff start ${ref}`);
  if (command.length === 0) throw new SkiffError('EUSAGE', 'no command given', 'usage: skiff exec [OPTIONS] CONTAINER COMMAND [ARG...]');
  if (f.tty && !process.stdin.isTTY) throw new SkiffError('EUSAGE', 'the input device is not a TTY', 'drop -t, or run skiff from a terminal');
  const c = readConfig(id);
  const user = resolveUser(f.user ?? c.Config.User, c.Rootfs.lowerDirs);
  const env = mergeEnv(c.Config.Env, f.tty ? ['TERM=xterm'] : [], f.env ?? []);
  const { containerConfinement } = await import('./confinement.js');
  const plan = buildExecPlan({
    security: containerConfinement(c.HostConfig, !!state.CgroupPath).security,
    containerPid: state.Pid,
    joinNet: c.HostConfig.NetworkMode !== 'host',
    cgroupDir: state.CgroupPath,
    process: {
      args: command, env, cwd: f.workdir || c.Config.WorkingDir || '/', uid: user.uid, gid: user.gid, groups: setgroupsAllowed() ? user.groups : null,
      tty: !!f.tty, path: pathOf(env),
    },
    trace: trace.enabled,
  });
  const ignore = () => {};
  const sigs = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
  for (const s of sigs) process.on(s, ignore);
  const raw = !!f.tty && process.stdin.isTTY;
  if (raw) process.stdin.setRawMode(true);
  try {
    const r = await launch(plan, {});
    return r.exitCode ?? 0;
  } finally {
    if (raw) process.stdin.setRawMode(false);
    for (const s of sigs) process.off(s, ignore);
  }
}
