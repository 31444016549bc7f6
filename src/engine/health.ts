// Healthchecks (--health-*, the image's HEALTHCHECK): Docker's State.Health, kept without a resident
// engine. The container's supervisor (native-bindings/runtime/supervise.c) only keeps time: an interval
// after the start and after each probe it runs `skiff container healthcheck ID` — this file's
// `probeContainer` — which execs the test inside the container (the one entry path exec uses), waits at
// most the timeout, and records the verdict in state.json. Nothing stays in memory between probes, so a
// container with a healthcheck costs no more idle memory than one without.
import { SkiffError } from '../errors.js';
import { nowIso, parseIsoMs, type ContainerConfig, type HealthConfig, type HealthState } from '../state/container-record.js';
import { readConfig, readState, resolveContainer, updateState } from '../state/containers.js';
import { isProcessAlive } from '../kernel/process-identity.js';
import { recordContainerEvent } from '../state/events.js';

/** Docker's defaults (container.Health*): 30 s interval and timeout, no start period, 3 retries. */
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
/** Docker keeps the last five results and the first 4 KiB of each output. */
const MAX_LOG = 5;
const MAX_OUTPUT = 4096;

const ms = (ns: number | undefined, dflt: number) => (ns && ns > 0 ? ns / 1e6 : dflt);

/** The active healthcheck of a container, if any (Test NONE or empty: none). */
export function activeHealthcheck(c: ContainerConfig): HealthConfig | undefined {
  const h = c.Config.Healthcheck;
  return h?.Test?.length && h.Test[0] !== 'NONE' ? h : undefined;
}

/** The supervisor's part of the launch plan: the probe's argv and its interval. */
export function healthProbe(c: ContainerConfig, cli: string[]): { health?: { cmd: string[]; intervalMs: number } } {
  const h = activeHealthcheck(c);
  if (!h) return {};
  return { health: { cmd: [...cli, 'container', 'healthcheck', c.Id], intervalMs: ms(h.Interval, DEFAULT_INTERVAL_MS) } };
}

/** The state a (re)started container begins with: "starting" (Docker resets it at every start). */
export function initialHealth(c: ContainerConfig): HealthState | undefined {
  return activeHealthcheck(c) ? { Status: 'starting', FailingStreak: 0, Log: [] } : undefined;
}

/** The test as argv: CMD-SHELL runs through /bin/sh -c, CMD as given. */
export function testArgv(test: string[]): string[] {
  if (test[0] === 'CMD-SHELL') return ['/bin/sh', '-c', test.slice(1).join(' ')];
  if (test[0] === 'CMD') return test.slice(1);
  throw new SkiffError('EUSAGE', `unknown healthcheck type '${test[0]}'`, 'use CMD or CMD-SHELL');
}

/** The verdict after one result: Docker's monitor (a failure within the start period does not count while starting). */
export function nextHealth(prev: HealthState, h: HealthConfig, result: { ExitCode: number; Start: string; End: string; Output: string }, startedAt: string): HealthState {
  const log = [...prev.Log, result].slice(-MAX_LOG);
  if (result.ExitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log: log };
  const inStartPeriod = parseIsoMs(result.Start) - parseIsoMs(startedAt) < ms(h.StartPeriod, 0);
  if (inStartPeriod && prev.Status === 'starting') return { ...prev, Log: log };
  const streak = prev.FailingStreak + 1;
  const retries = h.Retries && h.Retries > 0 ? h.Retries : DEFAULT_RETRIES;
  return { Status: streak >= retries ? 'unhealthy' : prev.Status, FailingStreak: streak, Log: log };
}

/** One probe: run the test in the container (timeout: killed, exit -1) and record the verdict. */
export async function probeContainer(ref: string): Promise<void> {
  const id = resolveContainer(ref);
  const c = readConfig(id);
  const h = activeHealthcheck(c);
  const before = readState(id);
  if (!h || !before.Running || !isProcessAlive(before.Pid, before.PidStart)) return;
  const { execWithPipes } = await import('./exec.js');
  const start = nowIso();
  const timeoutMs = ms(h.Timeout, DEFAULT_TIMEOUT_MS);
  let output = '';
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const take = (b: Buffer) => { if (output.length < MAX_OUTPUT) output += b.toString('utf8'); };
  let code: number;
  try {
    code = await execWithPipes(id, testArgv(h.Test), {}, (pipes, pid) => {
      pipes.stdin.end();
      pipes.stdout.on('data', take);
      pipes.stderr.on('data', take);
      timer = setTimeout(() => { timedOut = true; try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }, timeoutMs);
    });
  } catch (e) {
    code = 1;
    output = (e as Error).message;
  } finally {
    if (timer) clearTimeout(timer);
  }
  const result = {
    Start: start, End: nowIso(),
    ExitCode: timedOut ? -1 : code,
    Output: timedOut ? `Health check exceeded timeout (${timeoutMs / 1000}s)` : output.slice(0, MAX_OUTPUT),
  };
  let change: string | undefined;
  await updateState(id, (s) => {
    // Only the same run of the container: a restart meanwhile began a new "starting".
    if (!s.Running || s.StartedAt !== before.StartedAt) return s;
    const prev = s.Health ?? { Status: 'starting', FailingStreak: 0, Log: [] };
    const next = nextHealth(prev, h, result, s.StartedAt);
    change = next.Status !== prev.Status ? next.Status : undefined;
    return { ...s, Health: next };
  });
  // moby's event when the status changes: `health_status: healthy` / `health_status: unhealthy`.
  if (change) recordContainerEvent(c, `health_status: ${change}`);
}
