// start and restart of an existing container; attached, the exit half (exit.ts) runs here when it ends.
import { trace } from '../trace.js';
import { readConfig, resolveContainer, updateState } from '../state/containers.js';
import { refreshState } from '../state/liveness.js';
import { startContainer } from './run.js';
import { finishContainer } from './exit.js';

/** A user started it again: its restart policy applies again (Docker's HasBeenManuallyStopped). */
async function clearManualStop(id: string): Promise<void> {
  await updateState(id, (s) => ({ ...s, ManualStop: false }));
}

export async function startExisting(ref: string, attach: boolean): Promise<{ id: string; exitCode?: number }> {
  const id = resolveContainer(ref);
  const s = await refreshState(id);
  if (s.Running) return { id };
  readConfig(id);
  await clearManualStop(id);
  const exitCode = await startContainer(id, { attach, trace: trace.enabled });
  // Attached and not detached by the user (undefined): the container ended; finish it here.
  if (attach && exitCode !== undefined) await finishContainer(id);
  return { id, exitCode };
}
