// Runs a skiff-oci plan with the native launcher (the same skiff-runtime `launch` as `skiff run`):
// plan on fd 3, report lines on fd 4, "go" on fd 5. Unlike src/spawn/launch.ts it hands the plan
// over through a socket Node makes for the child instead of a pipe made with ffi-rs: loading ffi-rs
// costs more than the whole launch here, and skiff-oci runs once per container step.
import { spawn, type StdioOptions } from 'node:child_process';
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
  const std = opts.stdio ?? 'inherit';
  const stdio: StdioOptions = Array.isArray(std) ? [...std, 'pipe', 'pipe', 'pipe'] : [std, std, std, 'pipe', 'pipe', 'pipe'];
  const child = spawn(nativeBinary('skiff-runtime'), ['launch'], { stdio });
  const fds = child.stdio as unknown as Array<Readable | Writable>;
  (fds[3] as Writable).end(encoded);
  (fds[3] as Writable).on('error', () => {});
  const control = fds[5] as Writable;
  control.on('error', () => {});
  let pid = 0;
  let ready = false;
  let exitCode: number | undefined;
  let failure: SkiffError | undefined;
  const lines = createInterface({ input: fds[4] as Readable });
  lines.on('line', (line) => {
    const [kind, a, b, c] = line.split(' ');
    if (kind === 'pid') {
      pid = Number(a);
      if (plan.steps.some((s) => s.op === 'wait-go')) {
        Promise.resolve(opts.onPid?.(pid)).then(
          () => control.write('go\n'),
          (e) => { failure = e instanceof SkiffError ? e : new SkiffError('EINTERNAL', String(e)); control.write('abort\n'); },
        );
      } else {
        void opts.onPid?.(pid);
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
  const status = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (e) => reject(new SkiffError('ENATIVE', `cannot start skiff-runtime: ${e.message}`, 'rebuild it with `npm run build:native`')));
    child.on('exit', (code) => resolve(code));
  });
  await closed;
  if (failure) throw failure;
  if (!pid) throw new SkiffError('ENATIVE', `skiff-runtime ended without starting the container (status ${status})`, 'run with --debug to see the steps');
  return { pid, exitCode, ready };
}
