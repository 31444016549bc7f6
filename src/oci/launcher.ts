// Runs a skiff-oci plan with the native launcher (the same skiff-runtime `launch` as `skiff run`):
// plan on fd 3, report lines on fd 4, "go" on fd 5. Unlike src/spawn/launch.ts it hands the plan
// over through a socket Node makes for the child instead of a pipe made with ffi-rs: loading ffi-rs
// costs more than the whole launch here, and skiff-oci runs once per container step.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { nativeBinary } from '../native.js';
import { SkiffError } from '../errors.js';
import { errnoHint, errnoName } from '../kernel/errno.js';
import { trace } from '../trace.js';
import { encodePlan, stepAt, type Plan } from '../spawn/plan.js';

export interface OciLaunchOptions {
  /** Runs when the pid is known, before the child is released (only if the plan has wait-go). */
  onPid?: (pid: number) => Promise<void> | void;
  stdio?: StdioOptions;
}

export interface OciLaunchResult { pid: number; exitCode?: number; ready: boolean }

/**
 * A launcher already started by the front door (native-bindings/client: the caller's child, with the
 * caller's stdio), reached through its plan, report and control descriptors. Used once; closing it
 * unused ends that launcher (it reads an empty plan).
 */
export interface LauncherChannels { fds: number[]; close(): void }

let pending: LauncherChannels | undefined;

export function offerLauncherChannels(fds: number[]): void {
  let open = true;
  pending = { fds, close: () => { if (open) { open = false; for (const fd of fds) { try { closeSync(fd); } catch { /* closed by a stream */ } } } } };
}

/** The channels not used by this command, for the caller to close. */
export function takeLauncherChannels(): LauncherChannels | undefined {
  const p = pending;
  pending = undefined;
  return p;
}

interface Started { report: Readable; control: Writable; exited: Promise<number | null> }

function startLauncher(stdio: StdioOptions | undefined, encoded: Buffer): Started {
  const pre = stdio === undefined ? takeLauncherChannels() : undefined;
  if (pre) {
    const [planFd, reportFd, controlFd] = pre.fds as [number, number, number];
    for (let off = 0; off < encoded.length;) off += writeSync(planFd, encoded, off);
    closeSync(planFd);
    const report = new Socket({ fd: reportFd, readable: true, writable: false });
    const control = new Socket({ fd: controlFd, readable: false, writable: true });
    const exited = new Promise<number | null>((r) => report.on('close', () => r(null)));
    return { report, control, exited: exited.finally(() => control.destroy()) };
  }
  const std = stdio ?? 'inherit';
  const all: StdioOptions = Array.isArray(std) ? [...std, 'pipe', 'pipe', 'pipe'] : [std, std, std, 'pipe', 'pipe', 'pipe'];
  const child: ChildProcess = spawn(nativeBinary('skiff-runtime'), ['launch'], { stdio: all });
  const fds = child.stdio as unknown as Array<Readable | Writable>;
  (fds[3] as Writable).end(encoded);
  (fds[3] as Writable).on('error', () => {});
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (e) => reject(new SkiffError('ENATIVE', `cannot start skiff-runtime: ${e.message}`, 'rebuild it with `npm run build:native`')));
    child.on('exit', (code) => resolve(code));
  });
  return { report: fds[4] as Readable, control: fds[5] as Writable, exited };
}

function stepError(plan: Plan, role: string, idx: number, errno: number): SkiffError {
  const s = stepAt(plan, idx);
  const name = errnoName(errno);
  if (s?.op === 'exec') {
    const cmd = s.args[1] ?? '';
    if (name === 'ENOENT') return new SkiffError('EEXEC', `exec: "${cmd}": executable file not found in $PATH`, 'check process.args and PATH in config.json', { exitCode: 127 });
    return new SkiffError('EEXEC', `exec: "${cmd}": ${name}`, errnoHint(name), { exitCode: 126 });
  }
  const what = s ? `${s.op} ${s.args.slice(0, 3).join(' ')}`.trim() : `step ${idx}`;
  return new SkiffError('ELAUNCH', `container setup failed at ${role} step "${what}" (${s?.why ?? '?'}): ${name}`, errnoHint(name));
}

export async function launchPlan(plan: Plan, opts: OciLaunchOptions = {}): Promise<OciLaunchResult> {
  const encoded = encodePlan(plan);
  if (trace.enabled) for (const s of plan.ordered()) trace.step('plan', `${s.role.padEnd(6)} ${s.op} ${s.args.join(' ').slice(0, 100)}`, s.why);
  const { report, control, exited } = startLauncher(opts.stdio, encoded);
  control.on('error', () => {});
  let pid = 0;
  let ready = false;
  let exitCode: number | undefined;
  let failure: SkiffError | undefined;
  const lines = createInterface({ input: report });
  lines.on('line', (line) => {
    const [kind, a, b, c] = line.split(' ');
    if (kind === 'pid') {
      pid = Number(a);
      if (plan.steps.some((s) => s.op === 'wait-go')) {
        // Through then(): an error thrown by onPid (a hook, a cgroup write) must reach the abort below, not the event loop.
        Promise.resolve().then(() => opts.onPid?.(pid)).then(
          () => control.write('go\n'),
          (e) => { failure = e instanceof SkiffError ? e : new SkiffError('EINTERNAL', String(e)); control.write('abort\n'); },
        );
      } else {
        void Promise.resolve().then(() => opts.onPid?.(pid)).catch((e: unknown) => { failure ??= e instanceof SkiffError ? e : new SkiffError('EINTERNAL', String(e)); });
      }
    } else if (kind === 'step') {
      const s = stepAt(plan, Number(b));
      trace.step('plan', `${s?.op ?? '?'} took ${c}µs`);
    } else if (kind === 'error') {
      failure ??= stepError(plan, a ?? '?', Number(b), Number(c));
    } else if (kind === 'helper-failed') {
      const s = stepAt(plan, Number(a));
      failure ??= new SkiffError('EUSERNS', `${s?.args[0] ?? 'helper'} failed with exit status ${b}`, 'check /etc/subuid and /etc/subgid for your user');
    } else if (kind === 'ready' || kind === 'exec-ok') {
      ready = true;
    } else if (kind === 'exit') {
      exitCode = Number(a);
    } else if (kind === 'signaled') {
      exitCode = 128 + Number(a);
    }
  });
  const closed = new Promise<void>((r) => lines.on('close', r));
  const status = await exited;
  await closed;
  if (failure) throw failure;
  if (!pid) throw new SkiffError('ENATIVE', `skiff-runtime ended without starting the container (status ${status})`, 'run with --debug to see the steps');
  return { pid, exitCode, ready };
}
