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
import type { Readable, Writable } from 'node:stream';

export interface ExecFlags { interactive?: boolean; tty?: boolean; env?: string[]; workdir?: string; user?: string; detach?: boolean }

/** The checks and the launch plan of one exec; shared by `skiff exec` and the Engine API. */
export async function planExec(ref: string, command: string[], f: ExecFlags) {
  const id = resolveContainer(ref);
  const state = await refreshState(id);
  if (!state.Running) throw new SkiffError('ESTATE', `container ${id.slice(0, 12)} is not running`, `start it first: skiff start ${ref}`);
  if (command.length === 0) throw new SkiffError('EUSAGE', 'no command given', 'usage: skiff exec [OPTIONS] CONTAINER COMMAND [ARG...]');
  const c = readConfig(id);
  const user = resolveUser(f.user ?? c.Config.User, c.Rootfs.lowerDirs);
  const env = mergeEnv(c.Config.Env, f.tty ? ['TERM=xterm'] : [], f.env ?? []);
  return buildExecPlan({
    containerPid: state.Pid,
    joinNet: c.HostConfig.NetworkMode !== 'host',
    cgroupDir: state.CgroupPath,
    process: {
      args: command, env, cwd: f.workdir || c.Config.WorkingDir || '/', uid: user.uid, gid: user.gid, groups: setgroupsAllowed() ? user.groups : null,
      tty: !!f.tty, path: pathOf(env),
    },
    trace: trace.enabled,
  });
}

export async function execInContainer(ref: string, command: string[], f: ExecFlags): Promise<number> {
  if (f.tty && !process.stdin.isTTY) throw new SkiffError('EUSAGE', 'the input device is not a TTY', 'drop -t, or run skiff from a terminal');
  const plan = await planExec(ref, command, f);
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

export interface ExecPipes { stdin: Writable; stdout: Readable; stderr: Readable }

/**
 * An exec whose stdio are pipes (with a tty, the supervisor relays the pty over stdin/stdout).
 * `onStarted` gets the pipes once the process exists; resolves with its exit code.
 */
export async function execWithPipes(ref: string, command: string[], f: ExecFlags, onStarted: (p: ExecPipes, pid: number) => void): Promise<number> {
  const plan = await planExec(ref, command, f);
  let pipes: ExecPipes | undefined;
  const r = await launch(plan, {
    stdio: 'pipe',
    onSpawn: (child) => { pipes = { stdin: child.stdin!, stdout: child.stdout!, stderr: child.stderr! }; pipes.stdin.on('error', () => {}); },
    onExec: (pid) => { if (pipes) onStarted(pipes, pid); },
  });
  return r.exitCode ?? 0;
}
