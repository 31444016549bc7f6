// The exec events moby records for a process run inside a container (`exec_create: CMD`, `exec_start:
// CMD`, `exec_die` with its exit code), with the container's attributes plus the exec's id, into the one
// event log — so `skiff events` and the API's /events show `skiff exec`, `docker exec` and healthcheck
// probes as Docker shows them.
import { randomBytes } from 'node:crypto';
import { readConfig } from '../state/containers.js';
import { recordContainerEvent } from '../state/events.js';

/** A new exec id: 64 hex digits, as moby's. */
export function newExecId(): string {
  return randomBytes(32).toString('hex');
}

/** moby's action text: the entrypoint, a space, the arguments joined by spaces (`ls ` for `ls` alone). */
function withCommand(action: string, command: string[]): string {
  return `${action}: ${command[0] ?? ''} ${command.slice(1).join(' ')}`;
}

/**
 * Record one exec event for container `id`. `exec_create`/`exec_start` carry the command in the action,
 * `exec_die` the exit code in its attributes. Never fails the exec (a gone container records nothing).
 */
export function recordExecEvent(id: string, action: 'exec_create' | 'exec_start' | 'exec_die', execId: string, command: string[], exitCode?: number): void {
  let config;
  try {
    config = readConfig(id);
  } catch {
    return;
  }
  if (action === 'exec_die') recordContainerEvent(config, action, { execID: execId, exitCode: String(exitCode ?? 0) });
  else recordContainerEvent(config, withCommand(action, command), { execID: execId });
}
