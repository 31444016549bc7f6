// Runs a plan with skiff-runtime: plan on fd 3, reports back on fd 4, "go"/"abort" on fd 5.
// Turns the runtime's terse report lines into trace output, callbacks and typed errors.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { createInterface } from 'node:readline';
import { closeSync, writeSync } from 'node:fs';
import { pipe } from '../kernel/pipe.js';
import type { Readable, Writable } from 'node:stream';
import { nativeBinary } from '../native.js';
import { trace } from '../trace.js';
import { SkiffError } from '../errors.js';
import { errnoHint, errnoName } from '../kernel/errno.js';
import { encodePlan, stepAt, type Plan } from './plan.js';

export interface LaunchOptions {
  /** Called with the container's host pid before it is released; wire its network here. */
  onPid?: (pid: number) => Promise<void>;
  /** Called once execve succeeded. */
  onExec?: (pid: number) => void;
  /** 'pipe': the caller gets the process's stdin/stdout/stderr through onSpawn (Engine API exec). */
  stdio?: 'inherit' | 'ignore' | 'pipe';
  onSpawn?: (child: ChildProcess) => void;
  /** Start the runtime in its own session and let it outlive this process (detached containers). */
  detached?: boolean;
}

export interface LaunchResult { pid: number; exitCode?: number; signal?: number; runtimePid: number }

export async function launch(plan: Plan, opts: LaunchOptions = {}): Promise<LaunchResult> {
  const bin = nativeBinary('skiff-runtime');
  const std = opts.stdio ?? 'inherit';
  const encoded = encodePlan(plan);
  // The plan is written into a pipe before the launcher starts (it is far smaller than a pipe's
  // 64 KiB buffer), so reading it never waits on this process's event loop.
  const [planRead, planWrite] = pipe();
  writeSync(planWrite, encoded);
  closeSync(planWrite);
  const stdio: StdioOptions = [std, std, std, planRead, 'pipe', 'pipe'];
  if (trace.enabled) {
    for (const s of plan.ordered()) trace.step('plan', `${s.role.padEnd(6)} ${s.op} ${s.args.map((a) => (a.length > 60 ? a.slice(0, 57) + '…' : a)).join(' ')}`, s.why);
  }
  let child;
  try {
    child = spawn(bin, ['launch'], { stdio, detached: opts.detached ?? false });
  } finally {
    closeSync(planRead);
  }
  opts.onSpawn?.(child);
  const extra = child.stdio as unknown as Array<Readable | Writable>;
  const report = extra[4] as Readable;
  const control = extra[5] as Writable;
  control.on('error', () => {});

  let pid = 0;
  let failure: SkiffError | undefined;
  let exitCode: number | undefined;
  let signal: number | undefined;
  const lines = createInterface({ input: report });
  const done = new Promise<void>((resolve) => {
    lines.on('close', resolve);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const spawnError = new Promise<never>((_, reject) => child.on('error', (e) => reject(new SkiffError('ENATIVE', `cannot start skiff-runtime: ${e.message}`, 'rebuild it with `npm run build:native`'))));
  let execResolve: (() => void) | undefined;
  const execOk = new Promise<void>((r) => (execResolve = r));

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
    } else if (kind === 'helper-failed') {
      const s = stepAt(plan, Number(a));
      failure ??= new SkiffError('EUSERNS', `${s?.args[0] ?? 'helper'} failed with exit status ${b}`, 'check /etc/subuid and /etc/subgid for your user (skiff doctor)');
    } else if (kind === 'exec-ok') {
      trace.step('engine', `execve succeeded: the container runs`);
      opts.onExec?.(pid);
      execResolve?.();
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
    await Promise.race([execOk, Promise.all([done, exited]), spawnError]);
    if (failure) throw failure;
    if (!pid) throw new SkiffError('ENATIVE', 'skiff-runtime ended without starting the container', 'run with --trace to see the steps');
    child.unref();
    report.destroy();
    control.destroy();
    return { pid, runtimePid: child.pid ?? 0 };
  }
  const [, status] = await Promise.race([Promise.all([done, exited]), spawnError]);
  if (failure) throw failure;
  if (exitCode === undefined) {
    throw new SkiffError('ENATIVE', `skiff-runtime ended unexpectedly (status ${status})`, 'run with --trace to see the steps');
  }
  return { pid, exitCode, signal, runtimePid: child.pid ?? 0 };
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
    if (name === 'ENOEXEC') return new SkiffError('EEXEC', `exec: "${cmd}": exec format error`, 'the file is not a program for this machine\'s architecture, or a script without #!', { exitCode: 126 });
    return new SkiffError('EEXEC', `exec: "${cmd}": ${name}`, errnoHint(name), { exitCode: 126 });
  }
  if (s?.op === 'clone' && (name === 'EPERM' || name === 'ENOSPC' || name === 'EINVAL')) {
    return new SkiffError('EUSERNS', `cannot create the container's namespaces: ${name}`, 'user namespaces may be disabled or exhausted: run `skiff doctor`');
  }
  if (s?.op === 'chdir') {
    return new SkiffError('ELAUNCH', `cannot enter the working directory ${s.args[0]}: ${name}`, 'check -w or the image\'s WORKDIR');
  }
  const what = s ? `${s.op} ${s.args.slice(0, 3).join(' ')}`.trim() : `step ${idx}`;
  return new SkiffError('ELAUNCH', `container setup failed at ${role} step "${what}" (${s?.why ?? '?'}): ${name}`, errnoHint(name));
}
