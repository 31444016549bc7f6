// `skiff exec [-it] [-e] [-w] [-u] CONTAINER CMD…`: run a process in a running container.
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';
import { readConfig, resolveContainer } from '../state/containers.js';
import { refreshState } from '../state/liveness.js';
import { buildExecPlan } from '../spawn/exec-plan.js';
import { launch, type LaunchResult } from '../spawn/launch.js';
import { mergeEnv, pathOf, withHome } from './process-spec.js';
import { resolveUser } from './user-lookup.js';
import { setgroupsAllowed } from './id-maps.js';
import { newExecId, recordExecEvent } from './exec-events.js';
import type { Readable, Writable } from 'node:stream';

export interface ExecFlags { interactive?: boolean; tty?: boolean; env?: string[]; workdir?: string; user?: string; detach?: boolean; detachKeys?: string }

/** The checks and the launch plan of one exec; shared by `skiff exec` and the Engine API. */
/** `callerTty`: the caller's stdin is a terminal the supervisor may put in raw mode. */
export async function planExec(ref: string, command: string[], f: ExecFlags, callerTty: boolean) {
  const id = resolveContainer(ref);
  const state = await refreshState(id);
  if (!state.Running) throw new SkiffError('ESTATE', `container ${id.slice(0, 12)} is not running`, `start it first: skiff start ${ref}`);
  if (command.length === 0) throw new SkiffError('EUSAGE', 'no command given', 'usage: skiff exec [OPTIONS] CONTAINER COMMAND [ARG...]');
  const c = readConfig(id);
  const user = resolveUser(f.user ?? c.Config.User, c.Rootfs.lowerDirs, c.HostConfig.GroupAdd ?? []);
  const env = withHome(mergeEnv(c.Config.Env, f.tty ? ['TERM=xterm'] : [], f.env ?? []), user.home);
  const { containerConfinement } = await import('./confinement.js');
  const stdin = !!f.interactive && !f.detach;
  const keys = stdin && f.tty ? (await import('./attach.js')).parseDetachKeys(f.detachKeys ?? 'ctrl-p,ctrl-q') : [];
  return buildExecPlan({
    security: containerConfinement(c.HostConfig, !!state.CgroupPath).security,
    containerPid: state.Pid,
    joinNet: c.HostConfig.NetworkMode !== 'host',
    cgroupDir: state.CgroupPath,
    process: {
      args: command, env, cwd: f.workdir || c.Config.WorkingDir || '/', uid: user.uid, gid: user.gid, groups: setgroupsAllowed() ? user.groups : null,
      tty: !!f.tty, path: pathOf(env),
    },
    // The process gets pipes or a pty of the supervisor's, which stays on the host side and relays
    // (exec -d: nothing to relay, the supervisor only reaps it).
    supervise: {
      stdin,
      relay: f.detach ? undefined : { stdin, stdout: true, stderr: true, raw: !!f.tty && stdin && callerTty, detachKeys: keys },
    },
    trace: trace.enabled,
  });
}

export async function execInContainer(ref: string, command: string[], f: ExecFlags): Promise<number> {
  const { isatty } = await import('node:tty');
  // As Docker: only a terminal session without a terminal is refused (-it); -t alone runs; -d never reads stdin.
  if (f.tty && f.interactive && !f.detach && !isatty(0)) throw new SkiffError('EUSAGE', 'the input device is not a TTY', 'drop -i or -t, or run skiff from a terminal', { exitCode: 1 });
  const plan = await planExec(ref, command, f, isatty(0));
  const id = resolveContainer(ref);
  const execId = newExecId();
  recordExecEvent(id, 'exec_create', execId, command);
  if (f.detach) {
    // The supervisor reaps a detached exec: its exit is not seen here, so there is no exec_die for it.
    recordExecEvent(id, 'exec_start', execId, command);
    await launch(plan, { stdio: 'ignore', detached: true });
    return 0;
  }
  const r = await launchBetweenExecEvents(id, execId, command, () =>
    launch(plan, { stdio: 'inherit', relay: { signals: ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] } }));
  if (r.detached) {
    process.stderr.write('\r\nread escape sequence\r\n');
    return 0;
  }
  return r.exitCode ?? 0;
}

/**
 * One launch between moby's `exec_start` and `exec_die`: the die carries the exit code, or 126 when the
 * launch itself failed; a client that detached (ctrl-p ctrl-q) leaves the process running, so no die.
 */
async function launchBetweenExecEvents(id: string, execId: string, command: string[], run: () => Promise<LaunchResult>): Promise<LaunchResult> {
  recordExecEvent(id, 'exec_start', execId, command);
  let code: number | undefined = 126;
  try {
    const r = await run();
    code = r.detached ? undefined : (r.exitCode ?? 0);
    return r;
  } catch (e) {
    code = (e as { exitCode?: number }).exitCode ?? 126;
    throw e;
  } finally {
    if (code !== undefined) recordExecEvent(id, 'exec_die', execId, command, code);
  }
}

export interface ExecPipes { stdin: Writable; stdout: Readable; stderr: Readable }

/**
 * An exec whose stdio are pipes (with a tty, the supervisor relays the pty over stdin/stdout).
 * `onStarted` gets the pipes once the process exists; resolves with its exit code. Records moby's
 * `exec_start` and `exec_die` under `execId` (the API's exec instance, or a healthcheck probe's own).
 */
export async function execWithPipes(ref: string, command: string[], f: ExecFlags, onStarted: (p: ExecPipes, pid: number) => void, execId = newExecId()): Promise<number> {
  const plan = await planExec(ref, command, f, false);
  const id = resolveContainer(ref);
  let pipes: ExecPipes | undefined;
  let started = false;
  const r = await launchBetweenExecEvents(id, execId, command, () => launch(plan, {
    stdio: 'pipe',
    onSpawn: (child) => { pipes = { stdin: child.stdin!, stdout: child.stdout!, stderr: child.stderr! }; pipes.stdin.on('error', () => {}); },
    onExec: (pid) => { if (pipes) { started = true; onStarted(pipes, pid); } },
  }));
  // The launcher has exited, but what it relayed last may still be unread in our end of the pipes: the
  // caller (an API stream, a health probe) reads them, so the exit code is ours only once both ended.
  if (started && pipes) await Promise.all([pipes.stdout, pipes.stderr].map(streamEnded));
  return r.exitCode ?? 0;
}

/** Resolves when a readable stream has given its last byte (or broke). */
function streamEnded(s: Readable): Promise<void> {
  if (s.readableEnded || s.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    s.once('end', resolve);
    s.once('close', resolve);
    s.once('error', () => resolve());
  });
}
