// stop and kill: signals go to the container's pid 1 through a pidfd (no pid-reuse race); "stopped" is
// known when skiff-runtime, its supervisor, has recorded the exit and gone.
import { constants } from 'node:os';
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';
import { readConfig, resolveContainer, updateState } from '../state/containers.js';
import { recordContainerEvent } from '../state/events.js';
import { thawIfPaused } from './pause.js';
import { refreshState } from '../state/liveness.js';
import { isProcessAlive } from '../kernel/process-identity.js';
import { sendSignal, signalIfAlive } from '../kernel/signal.js';

export function signalNumber(name: string): number {
  const n = /^\d+$/.test(name) ? Number(name) : (constants.signals as Record<string, number>)[name.toUpperCase().startsWith('SIG') ? name.toUpperCase() : `SIG${name.toUpperCase()}`];
  if (!n) throw new SkiffError('EUSAGE', `invalid signal: ${name}`, 'use a name like SIGTERM, TERM or KILL, or a number');
  return n;
}

/** `-t/--time` of stop and restart: whole seconds, 0 or more (anything else would never time out). */
export function parseStopTimeout(text: string): number {
  const t = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(t)) throw new SkiffError('EFLAG', `invalid timeout: ${text}`, 'give whole seconds, e.g. -t 5');
  return t;
}

/** A user stopped it: its restart policy must not bring it back (Docker's HasBeenManuallyStopped). */
async function markManualStop(id: string, on: boolean): Promise<void> {
  await updateState(id, (s) => ({ ...s, ManualStop: on }));
}

export async function killContainer(ref: string, signal = 'KILL'): Promise<string> {
  const sig = signalNumber(signal);
  let id: string;
  try {
    id = resolveContainer(ref);
  } catch (e) {
    // moby's wording: the verb and the name typed, then why (`Cannot kill container: x: No such container: x`).
    if (e instanceof SkiffError) throw new SkiffError(e.code, `Cannot kill container: ${ref}: ${e.message}`, e.hint, { cause: e, exitCode: e.exitCode });
    throw e;
  }
  await thawIfPaused(id);
  const s = await refreshState(id);
  if (s.Running) await markManualStop(id, true);
  if (!s.Running) throw new SkiffError('ESTATE', `Cannot kill container: ${ref}: Container ${id} is not running`, 'it has already stopped', { exitCode: 1 });
  trace.step('kernel', `pidfd_send_signal(${s.Pid}, ${sig})`, 'signal the container\'s first process');
  sendSignal(s.Pid, s.PidStart, sig);
  recordContainerEvent(readConfig(id), 'kill', { signal: String(sig) });
  return id;
}

/**
 * Stopped means the supervisor is gone: it exits only after the process ended and its cleanup (exit
 * record, network, cgroup, --rm) has run, so a `start` right after never races that cleanup.
 */
async function waitStopped(id: string, shim: { pid: number; start?: string }, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await refreshState(id);
    const shimGone = shim.pid <= 0 || !isProcessAlive(shim.pid, shim.start);
    if (shimGone && !s.Running) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Docker's stop: SIGTERM (or the container's --stop-signal / the image's STOPSIGNAL), `timeout` seconds
 * (or its --stop-timeout, else 10; -1 waits for ever), then SIGKILL.
 */
export async function stopContainer(ref: string, timeoutArg?: number, signalArg?: string): Promise<string> {
  const id = resolveContainer(ref);
  const own = readConfig(id).Config;
  const timeoutSec = timeoutArg ?? own.StopTimeout ?? 10;
  const signal = signalArg ?? (own.StopSignal || 'TERM');
  await markManualStop(id, true);
  await thawIfPaused(id);
  const s = await refreshState(id);
  if (!s.Running) return id;
  const shim = { pid: s.ShimPid, start: s.ShimPidStart };
  trace.step('kernel', `pidfd_send_signal(${s.Pid}, ${signal})`, timeoutSec < 0 ? 'ask it to stop; wait for it' : `ask it to stop; SIGKILL after ${timeoutSec}s`);
  signalIfAlive(s.Pid, s.PidStart, signalNumber(signal));
  if (await waitStopped(id, shim, timeoutSec < 0 ? Number.POSITIVE_INFINITY : timeoutSec * 1000)) {
    recordContainerEvent(readConfig(id), 'stop');
    return id;
  }
  const t = await refreshState(id);
  if (t.Running) {
    trace.step('kernel', `pidfd_send_signal(${t.Pid}, SIGKILL)`, 'it did not stop in time');
    signalIfAlive(t.Pid, t.PidStart, constants.signals.SIGKILL);
  }
  await waitStopped(id, shim, 10_000);
  recordContainerEvent(readConfig(id), 'stop');
  return id;
}

