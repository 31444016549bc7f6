// Runs a plan with skiff-runtime: plan on fd 3 (a sealed memfd), reports back on fd 4, "go"/"abort" on fd 5.
// Turns the runtime's terse report lines into trace output, callbacks and typed errors.
import { createInterface } from 'node:readline';
import { closeSync } from 'node:fs';
import { sealedMemfd } from '../kernel/memfd.js';
import type { Readable, Writable } from 'node:stream';
import { nativeBinary } from '../native.js';
import { startProcess, type StartedProcess } from './start-process.js';
import { trace } from '../trace.js';
import { SkiffError } from '../errors.js';
import { errnoHint, errnoName } from '../kernel/errno.js';
import { encodePlan, stepAt, type Plan } from './plan.js';

export interface LaunchOptions {
  /** Called with the container's host pid before it is released; wire its network here. */
  onPid?: (pid: number) => Promise<void>;
  /** Called once execve succeeded, with the supervisor's pid. */
  onExec?: (pid: number, runtimePid: number) => void;
  /** 'pipe': the caller gets the runtime's stdin/stdout/stderr through onSpawn (Engine API exec). */
  stdio?: 'inherit' | 'ignore' | 'pipe';
  onSpawn?: (child: RuntimeStdio) => void;
  /** Start the runtime in its own session and let it outlive this process (detached containers). */
  detached?: boolean;
  /**
   * Foreground: the runtime (in a session of its own, so the terminal's signals reach it only through
   * us) relays this process's stdin/stdout/stderr to the container's pipes or pty; these signals sent to
   * this process are passed on to it. Resolves when the container ends or the user detached.
   */
  relay?: { signals: NodeJS.Signals[] };
}

/** The largest plan skiff-runtime reads (PLAN_MAX_BYTES in native-bindings/runtime/runtime.h). */
export const PLAN_MAX_BYTES = 16 * 2 ** 20;

/** The runtime's stdin/stdout/stderr when launched with stdio 'pipe' (null otherwise). */
export interface RuntimeStdio { stdin: Writable | null; stdout: Readable | null; stderr: Readable | null }

export interface LaunchResult { pid: number; exitCode?: number; signal?: number; runtimePid: number; /** the user detached (ctrl-p ctrl-q) */ detached?: boolean }

export async function launch(plan: Plan, opts: LaunchOptions = {}): Promise<LaunchResult> {
  const bin = nativeBinary('skiff-runtime');
  const std = opts.stdio ?? 'inherit';
  const encoded = encodePlan(plan);
  if (encoded.length > PLAN_MAX_BYTES) {
    throw new SkiffError('EUSAGE', `the container's configuration is too large: ${(encoded.length / 2 ** 20).toFixed(1)} MiB of arguments, environment and mounts; the launcher takes at most ${PLAN_MAX_BYTES / 2 ** 20} MiB`,
      'pass large values in a file (a bind mount with -v) instead of -e or --env-file', { exitCode: 125 });
  }
  // The plan goes in a sealed memfd, complete before the launcher starts: any size the launcher accepts
  // fits (a pipe would block this process at 64 KiB with nobody reading yet), and the launcher never
  // waits on this process's event loop to read it.
  const planRead = sealedMemfd('skiff-plan', encoded);
  if (trace.enabled) {
    for (const s of plan.ordered()) trace.step('plan', `${s.role.padEnd(6)} ${s.op} ${s.args.map((a) => (a.length > 60 ? a.slice(0, 57) + '…' : a)).join(' ')}`, s.why);
  }
  // posix_spawn, not child_process.spawn: Node forks its whole heap's page tables first (tens of ms for
  // the engine); fd 4 (reports) and 5 (go/abort) are socketpairs, as libuv would make them.
  const io = std === 'pipe' ? (['to-child', 'from-child', 'from-child'] as const) : [std, std, std];
  let child: StartedProcess;
  try {
    child = startProcess({ path: bin, args: ['launch'], io: [...io, planRead, 'from-child', 'to-child'], setsid: (opts.detached || !!opts.relay) });
  } catch (e) {
    throw new SkiffError('ENATIVE', `cannot start skiff-runtime: ${(e as Error).message}`, 'rebuild it with `npm run build:native`', { cause: e });
  } finally {
    closeSync(planRead);
  }
  const runtimePid = child.pid;
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  for (const sig of opts.relay?.signals ?? []) process.on(sig, forward);
  const stopForwarding = () => {
    for (const sig of opts.relay?.signals ?? []) process.off(sig, forward);
  };
  const [stdin, stdout, stderr, , report, control] = child.streams as [Writable | null, Readable | null, Readable | null, null, Readable, Writable];
  opts.onSpawn?.({ stdin, stdout, stderr });
  control.on('error', () => {});

  let pid = 0;
  let failure: SkiffError | undefined;
  let exitCode: number | undefined;
  let signal: number | undefined;
  const lines = createInterface({ input: report });
  const done = new Promise<void>((resolve) => {
    lines.on('close', resolve);
  });
  // The runtime's last act is to exit: reaped once its report stream closed.
  const exited = done.then(() => child.wait()).then((s) => s.code ?? null);
  let execResolve: (() => void) | undefined;
  const execOk = new Promise<void>((r) => (execResolve = r));
  let detachResolve: (() => void) | undefined;
  const userDetached = new Promise<'detached'>((r) => (detachResolve = () => r('detached')));

  lines.on('line', (line) => {
    const [kind, a, b, c] = line.split(' ');
    if (kind === 'pid') {
      pid = Number(a);
      trace.step('engine', `container process is pid ${pid} on the host`);
      const go = opts.onPid ? opts.onPid(pid) : Promise.resolve();
      go.then(
        () => control.write('go\n'),
        (e) => {
          failure = e instanceof SkiffError ? e : new SkiffError('EINTERNAL', String(e));
          control.write('abort\n');
        },
      );
    } else if (kind === 'step') {
      const s = stepAt(plan, Number(b));
      trace.step('plan', `${a} ${s?.op ?? '?'} ok (${c} µs)`);
    } else if (kind === 'error') {
      failure ??= stepError(plan, a as 'parent' | 'child', Number(b), Number(c));
    } else if (kind === 'warn') {
      // The supervisor could not do something it does after the container started (e.g. write the exit
      // record): the container is not affected, but the user should know why a record may be missing.
      process.stderr.write(`skiff: warning: the supervisor's ${a} failed (errno ${b})\n`);
    } else if (kind === 'helper-failed') {
      const s = stepAt(plan, Number(a));
      failure ??= new SkiffError('EUSERNS', `${s?.args[0] ?? 'helper'} failed with exit status ${b}`, 'check /etc/subuid and /etc/subgid for your user (skiff doctor)');
    } else if (kind === 'exec-ok') {
      trace.step('engine', `execve succeeded: the container runs`);
      opts.onExec?.(pid, runtimePid);
      execResolve?.();
    } else if (kind === 'detached') {
      detachResolve?.();
    } else if (kind === 'exit') {
      trace.step('engine', `the container's process exited with status ${a}`);
      exitCode = Number(a);
    } else if (kind === 'signaled') {
      signal = Number(a);
      exitCode = 128 + Number(a);
    }
  });

  if (opts.detached) {
    // Return as soon as the container runs (or failed); the runtime stays as its supervisor.
    await Promise.race([execOk, Promise.all([done, exited])]);
    if (failure) throw failure;
    if (!pid) throw new SkiffError('ENATIVE', 'skiff-runtime ended without starting the container', 'run with --trace to see the steps');
    child.release();
    return { pid, runtimePid };
  }
  let ended;
  try {
    ended = await Promise.race([Promise.all([done, exited]), userDetached]);
  } finally {
    stopForwarding();
  }
  if (ended === 'detached') {
    // The runtime supervises on alone, as for `run -d`; closing our end of the report pipe tells it so.
    child.release();
    return { pid, runtimePid, detached: true };
  }
  if (failure) throw failure;
  if (exitCode === undefined) {
    throw new SkiffError('ENATIVE', `skiff-runtime ended unexpectedly (status ${ended[1]})`, 'run with --trace to see the steps');
  }
  return { pid, exitCode, signal, runtimePid };
}

function stepError(plan: Plan, role: 'parent' | 'child', idx: number, errno: number): SkiffError {
  const s = stepAt(plan, idx);
  const name = errnoName(errno);
  if (s?.op === 'exec') {
    const cmd = s.args[1] ?? '';
    if (name === 'ENOENT') {
      const msg = cmd.includes('/') ? `exec: "${cmd}": no such file or directory` : `exec: "${cmd}": executable file not found in $PATH`;
      return new SkiffError('EEXEC', msg, 'check the command and the image\'s PATH', { exitCode: 127 });
    }
    if (name === 'EACCES') return new SkiffError('EEXEC', `exec: "${cmd}": permission denied`, 'the file is not executable in the image', { exitCode: 126 });
    if (name === 'E2BIG') return new SkiffError('EEXEC', `exec: "${cmd}": argument list too long`, 'the kernel takes at most 128 KiB per argument or variable and about 2 MiB in all: pass large values in a file (-v)', { exitCode: 126 });
    if (name === 'ENOEXEC') return new SkiffError('EEXEC', `exec: "${cmd}": exec format error`, 'the file is not a program for this machine\'s architecture, or a script without #!', { exitCode: 126 });
    return new SkiffError('EEXEC', `exec: "${cmd}": ${name}`, errnoHint(name), { exitCode: 126 });
  }
  if (s?.op === 'clone' && (name === 'EPERM' || name === 'ENOSPC' || name === 'EINVAL')) {
    return new SkiffError('EUSERNS', `cannot create the container's namespaces: ${name}`, 'user namespaces may be disabled or exhausted: run `skiff doctor`');
  }
  if (s?.op === 'chdir' || (s?.op === 'mkdir' && s.why.includes('working directory'))) {
    const hint = name === 'ELOOP' || name === 'EXDEV'
      ? 'it leads out of the container (a symlink to /proc/self/fd or similar): use a directory inside the container'
      : 'check -w or the image\'s WORKDIR';
    return new SkiffError('ELAUNCH', `cannot enter the working directory ${s.args[0]}: ${name}`, hint);
  }
  const what = s ? `${s.op} ${s.args.slice(0, 3).join(' ')}`.trim() : `step ${idx}`;
  return new SkiffError('ELAUNCH', `container setup failed at ${role} step "${what}" (${s?.why ?? '?'}): ${name}`, errnoHint(name));
}
