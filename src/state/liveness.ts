// state.json says what the engine last wrote; the kernel says what is true. When a record claims a
// running container but neither its shim nor its process exists any more (shim or host killed with
// -9, machine rebooted), the record is corrected to exited here, so `ps` never shows a ghost.
import { readFileSync } from 'node:fs';
import { expectsProcess, nowIso, parseIsoMs, type ContainerRecord, type ContainerState } from './container-record.js';
import { exitFilePath, listContainerIds, readConfig, readState, withContainerLock, writeStateLocked } from './containers.js';
import { isProcessAlive } from '../kernel/process-identity.js';

/** True while the shim or the container's process (same pid and start time as recorded) exists. */
export function isContainerProcessAlive(s: ContainerState): boolean {
  return (s.ShimPid > 0 && isProcessAlive(s.ShimPid, s.ShimPidStart)) || (s.Pid > 0 && isProcessAlive(s.Pid, s.PidStart));
}

interface ExitRecord { exitCode: number; finishedAt: string }

/** The shim's exit file: first line the exit code, second line the ISO finish time. */
export function readExitFile(id: string): ExitRecord | undefined {
  let text: string;
  try {
    text = readFileSync(exitFilePath(id), 'utf8');
  } catch {
    return undefined;
  }
  const [code, finished] = text.split('\n');
  const exitCode = Number.parseInt(code ?? '', 10);
  if (!Number.isInteger(exitCode)) return undefined;
  return { exitCode, finishedAt: finished?.trim() || nowIso() };
}

/** The state a vanished process leaves: the shim's exit record if it wrote one, else 255 "shim died". */
export function exitedState(id: string, s: ContainerState): ContainerState {
  const exit = readExitFile(id);
  return {
    ...s,
    Status: 'exited',
    Running: false,
    Pid: 0,
    ShimPid: 0,
    ExitCode: exit ? exit.exitCode : 255,
    Error: exit ? s.Error : 'shim died',
    FinishedAt: exit ? exit.finishedAt : nowIso(),
  };
}

/** state.json, corrected (under the lock) when its process is gone. */
export async function refreshState(id: string): Promise<ContainerState> {
  const seen = readState(id);
  if (!expectsProcess(seen) || isContainerProcessAlive(seen)) return seen;
  return withContainerLock(id, () => {
    const s = readState(id); // may have changed while we waited for the lock
    if (!expectsProcess(s) || isContainerProcessAlive(s)) return s;
    const next = exitedState(id, s);
    writeStateLocked(id, next);
    return next;
  });
}

/** One container's config and refreshed state. */
export async function loadContainer(id: string): Promise<ContainerRecord> {
  return { config: readConfig(id), state: await refreshState(id) };
}

/** Every container (refreshed), newest first as `ps` lists them; ones removed meanwhile are skipped. */
export async function listContainers(): Promise<ContainerRecord[]> {
  const out: ContainerRecord[] = [];
  // Unchecked: a record half-made or half-removed has no config.json, and readConfig's ENOCONTAINER skips it.
  for (const id of listContainerIds(false)) {
    try {
      out.push(await loadContainer(id));
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOCONTAINER') throw e;
    }
  }
  // By time, not by string: writers may give fewer than nine fraction digits.
  const key = (r: ContainerRecord) => parseIsoMs(r.config.Created);
  return out.sort((a, b) => key(b) - key(a) || (a.config.Created < b.config.Created ? 1 : a.config.Created > b.config.Created ? -1 : 0));
}
