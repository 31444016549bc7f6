// A pid alone does not name a process: after it exits the kernel may hand the number to another
// one. A pid plus its start time (field 22 of /proc/<pid>/stat, in clock ticks since boot) does,
// which is how the store tells "the shim is still there" from "something else has its pid".
import { readFileSync } from 'node:fs';

interface ProcStat { state: string; startTime: string }

function readStat(pid: number): ProcStat | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) may hold spaces and parentheses: everything after the last ')' is fixed fields.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); starttime is field 22, i.e. rest[19].
  const state = rest[0];
  const startTime = rest[19];
  if (!state || !startTime) return undefined;
  return { state, startTime };
}

/** The start time to record beside a pid, or undefined when there is no such process. */
export function processStartTime(pid: number): string | undefined {
  return readStat(pid)?.startTime;
}

/**
 * True while the process that had `pid` (and `startTime`, when recorded) still runs. A zombie has
 * finished: it only waits for its parent to collect the status.
 */
export function isProcessAlive(pid: number, startTime?: string): boolean {
  const st = readStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  return startTime === undefined || startTime === st.startTime;
}
