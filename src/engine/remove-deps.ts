// What `rm` and `container prune` need from the rest of the engine, in one place: `rm -f` kills the
// recorded process and its supervisor (through a pidfd, so a recycled pid is never hit) and waits for
// both; `release` frees the network and cgroup before the container's directory goes.
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { signalIfAlive } from '../kernel/signal.js';
import { readConfig, readState, withContainerLock, writeStateLocked } from '../state/containers.js';
import { recordContainerEvent } from '../state/events.js';
import { exitedState, isContainerProcessAlive } from '../state/liveness.js';
import { expectsProcess, nowIso } from '../state/container-record.js';
import { SkiffError } from '../errors.js';

export interface RemoveDeps {
  /** Stop a running container for `rm -f` (the process is gone and the state says exited afterwards). */
  stop(id: string): Promise<void>;
  /** Free what the container holds outside its state directory, before the directory goes. */
  release(id: string): Promise<void>;
}

/** SIGKILL the recorded process and shim, wait until both are gone, record exit 137 (128 + SIGKILL). */
export async function killRecordedProcesses(id: string, timeoutMs = 10_000): Promise<void> {
  const s = readState(id);
  if (!expectsProcess(s)) return;
  // Only the very processes recorded (pid and start time, pinned by a pidfd): never a stranger that reused a pid.
  signalIfAlive(s.Pid, s.PidStart, constants.signals.SIGKILL);
  signalIfAlive(s.ShimPid, s.ShimPidStart, constants.signals.SIGKILL);
  recordContainerEvent(readConfig(id), 'kill', { signal: '9' });
  const deadline = Date.now() + timeoutMs;
  while (isContainerProcessAlive(s)) {
    if (Date.now() > deadline) throw new SkiffError('ESTATE', `container ${id} did not die after SIGKILL`, 'check `ps` on the host for its process; it may be stuck in the kernel (D state)');
    await sleep(20);
  }
  await withContainerLock(id, () => {
    const now = readState(id);
    if (!expectsProcess(now)) return;
    // A shim killed with its container cannot write the exit file; the status is SIGKILL's.
    const exited = exitedState(id, now);
    const final = exited.Error === 'shim died' ? { ...exited, ExitCode: 137, Error: '', FinishedAt: nowIso() } : exited;
    writeStateLocked(id, final);
    recordContainerEvent(readConfig(id), 'die', { exitCode: String(final.ExitCode) });
  });
}

export const defaultRemoveDeps: RemoveDeps = {
  stop: (id) => killRecordedProcesses(id),
  // The rootfs upper/work dirs live inside the container directory; network and cgroup do not.
  release: async (id) => {
    const { releaseNetwork } = await import('../network/index.js');
    const { removeContainerCgroup } = await import('../cgroups/index.js');
    await releaseNetwork(id);
    await removeContainerCgroup(id);
  },
};
