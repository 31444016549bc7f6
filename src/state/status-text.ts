// A container state as Docker's STATUS column says it (moby's State.String()): `Up 3 minutes`,
// `Exited (0) 5 seconds ago`, `Created`. Lives beside the state it reads; the durations are the leaf's.
import { humanDuration } from '../format/duration.js';
import { isZeroTime, parseIsoMs, type ContainerState } from './container-record.js';

/** moby's State.String(): the STATUS column. */
export function statusText(s: ContainerState, now = Date.now()): string {
  if (s.Status === 'paused') return `Up ${humanDuration(now - parseIsoMs(s.StartedAt))} (Paused)`;
  if (s.Status === 'restarting') return `Restarting (${s.ExitCode}) ${humanDuration(now - parseIsoMs(s.FinishedAt))} ago`;
  if (s.Running || s.Status === 'running') return `Up ${humanDuration(now - parseIsoMs(s.StartedAt))}${healthSuffix(s)}`;
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Status === 'dead') return 'Dead';
  if (isZeroTime(s.StartedAt)) return 'Created';
  if (isZeroTime(s.FinishedAt)) return '';
  return `Exited (${s.ExitCode}) ${humanDuration(now - parseIsoMs(s.FinishedAt))} ago`;
}

/** Docker's health suffix: ` (healthy)`, ` (unhealthy)`, ` (health: starting)`; nothing without a healthcheck. */
function healthSuffix(s: ContainerState): string {
  if (!s.Health) return '';
  return s.Health.Status === 'starting' ? ' (health: starting)' : ` (${s.Health.Status})`;
}
