// `pause`/`unpause`: freeze every process of a running container with cgroup v2's freezer and thaw it
// again; the record says `paused` meanwhile (ps: "Up … (Paused)", inspect: State.Paused). Docker's
// messages for the wrong states; a container without a v2 cgroup gets an error saying why.
import { SkiffError } from '../errors.js';
import { readConfig, readState, resolveContainer, withContainerLock, writeStateLocked } from '../state/containers.js';
import { refreshState } from '../state/liveness.js';
import { recordContainerEvent } from '../state/events.js';

export async function pauseContainer(ref: string): Promise<string> {
  const id = resolveContainer(ref);
  const s = await refreshState(id);
  if (s.Status === 'paused') throw new SkiffError('ESTATE', `Container ${id} is already paused`, `\`skiff unpause ${ref}\` resumes it`, { exitCode: 1 });
  if (!s.Running) throw new SkiffError('ESTATE', `Container ${id} is not running`, `start it first: \`skiff start ${ref}\``, { exitCode: 1 });
  const { freezerProblem, setFrozen } = await import('../cgroups/freezer.js');
  const problem = freezerProblem(s.CgroupPath);
  if (problem) throw new SkiffError('ECGROUP', `cannot pause container ${ref}: ${problem}`, 'run skiff as root on a kernel with cgroup2 mounted, or rootless inside a delegated scope (systemd-run --user --scope -p Delegate=yes skiff …); `skiff doctor` shows what this host has', { exitCode: 1 });
  await withContainerLock(id, async () => {
    await setFrozen(s.CgroupPath!, true);
    writeStateLocked(id, { ...readState(id), Status: 'paused' });
  });
  recordContainerEvent(readConfig(id), 'pause');
  return id;
}

export async function unpauseContainer(ref: string): Promise<string> {
  const id = resolveContainer(ref);
  const s = await refreshState(id);
  if (s.Status !== 'paused') throw new SkiffError('ESTATE', `Container ${id} is not paused`, undefined, { exitCode: 1 });
  const { setFrozen } = await import('../cgroups/freezer.js');
  await withContainerLock(id, async () => {
    if (s.CgroupPath) await setFrozen(s.CgroupPath, false);
    const now = readState(id);
    writeStateLocked(id, { ...now, Status: now.Running ? 'running' : now.Status });
  });
  recordContainerEvent(readConfig(id), 'unpause');
  return id;
}

/** Before a signal: a frozen container gets nothing but SIGKILL, so stop/kill thaw it first (as moby does). */
export async function thawIfPaused(id: string): Promise<void> {
  const s = await refreshState(id);
  if (s.Status === 'paused') await unpauseContainer(id);
}
