// The exit half of a container's life: record how its process ended, release its network and cgroup,
// remove it when it was started with --rm, and apply its restart policy. Run in-process after an
// attached run, and by skiff-runtime (as `skiff container cleanup ID`) after a detached one.
import { trace } from '../trace.js';
import { recordContainerEvent } from '../state/events.js';
import { deleteContainerRecord, readConfig, updateState } from '../state/containers.js';
import { nowIso, type ContainerConfig } from '../state/container-record.js';
import { startContainer } from './run.js';
import { stopContainer } from './stop.js';

/**
 * After the container's process ended: record the exit, release network and cgroup, and remove the
 * container when it was started with --rm. Called in-process for attached runs, and by skiff-runtime
 * (as `skiff container cleanup ID`) for detached ones. Idempotent.
 */
export async function finishContainer(id: string): Promise<void> {
  const { readExitFile, isContainerProcessAlive } = await import('../state/liveness.js');
  const { readState } = await import('../state/containers.js');
  const now = readState(id);
  // A late cleanup of an earlier run must not tear down the network and cgroup of a newer one.
  if (now.Running && now.Pid > 0 && isContainerProcessAlive({ ...now, ShimPid: 0 })) return;
  const exit = readExitFile(id);
  const { removeContainerCgroup, readCgroupStats } = await import('../cgroups/index.js');
  // Docker's State.OOMKilled: the kernel's OOM killer acted inside the container's cgroup.
  const oomKills = await readCgroupStats(id).then((st) => st.oomKills ?? 0, () => 0);
  let died = false;
  await updateState(id, (s) => (died = s.Status !== 'exited', {
    ...s, Status: 'exited', Running: false, Pid: 0, ShimPid: 0, OOMKilled: oomKills > 0,
    ExitCode: exit?.exitCode ?? s.ExitCode, FinishedAt: exit?.finishedAt ?? nowIso(),
  }));
  const net = await import('../network/index.js');
  await net.releaseNetwork(id, { processesGone: true }).catch(() => {});
  await removeContainerCgroup(id).catch(() => {});
  const config = readConfig(id);
  // Once per exit (this cleanup is idempotent and may run twice).
  if (died) recordContainerEvent(config, 'die', { exitCode: String(exit?.exitCode ?? 0) });
  if (config.HostConfig.AutoRemove) return removeContainerFiles(id);
  await applyRestartPolicy(id, config);
}

/**
 * Docker's restart policies, applied where skiff has a process at hand: the cleanup that runs when
 * the container's process ends. The delay doubles from 100 ms per restart (capped at 10 s), as
 * dockerd's does; a user's stop or kill during the delay wins.
 */
async function applyRestartPolicy(id: string, config: ContainerConfig): Promise<void> {
  const { readState } = await import('../state/containers.js');
  const pol = config.HostConfig.RestartPolicy;
  const s = readState(id);
  const count = s.RestartCount ?? 0;
  const wanted = pol.Name === 'always' || pol.Name === 'unless-stopped'
    || (pol.Name === 'on-failure' && s.ExitCode !== 0 && (pol.MaximumRetryCount === 0 || count < pol.MaximumRetryCount));
  if (!wanted || s.ManualStop) return;
  // During the back-off the container is "Restarting (code) … ago", as Docker shows it; this process,
  // which will start it again, stands in as its supervisor so liveness sees someone is at work.
  const { processStartTime } = await import('../kernel/process-identity.js');
  await updateState(id, (st) => ({ ...st, Status: 'restarting', Running: false, ShimPid: process.pid, ShimPidStart: processStartTime(process.pid) }));
  await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** count, 10_000)));
  if (readState(id).ManualStop) {
    await updateState(id, (st) => (st.Status === 'restarting' ? { ...st, Status: 'exited', ShimPid: 0 } : st));
    return;
  }
  await updateState(id, (st) => ({ ...st, RestartCount: count + 1 }));
  trace.step('engine', `restart policy ${pol.Name}: starting ${id.slice(0, 12)} again (restart ${count + 1})`);
  await startContainer(id, { attach: false, trace: trace.enabled });
  // A stop that landed while this restart was starting saw nothing running: honour it now.
  if (readState(id).ManualStop) {
    await stopContainer(id, 10);
  }
}

export async function removeContainerFiles(id: string): Promise<void> {
  // The record's whole directory goes with it (renamed aside under the lock, then removed).
  await deleteContainerRecord(id);
}

