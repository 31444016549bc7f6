// Container records made straight through the store API, standing in for what the launcher will
// write: valid configs whose "container process" is a real `sleep` the test owns, so liveness,
// ps, rm -f and logs -f meet real pids without needing the runtime.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { resetStorePathsCache } from '../../src/state/paths.js';
import { configPath, createContainer, exitFilePath, logPath, readConfig, updateState, type CreateSpec } from '../../src/state/containers.js';
import { writeJsonAtomic } from '../../src/state/atomic.js';
import { nowIso, type ContainerRecord } from '../../src/state/container-record.js';
import { processStartTime } from '../../src/kernel/process-identity.js';

/** Point this process's store at `root` (SKIFF_ROOT), as the CLI under test will see it. */
export function useStore(root: string): void {
  process.env.SKIFF_ROOT = root;
  resetStorePathsCache();
}

export function spec(over: Partial<CreateSpec> = {}): CreateSpec {
  const image = 'sha256:' + 'ab'.repeat(32);
  return {
    Path: '/bin/sh',
    Args: ['-c', './cmd.sh'],
    Image: image,
    ImageRef: 'diamol/ch02-hello-diamol',
    Config: {
      Hostname: 'c0ffee', User: '', Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh', '-c', './cmd.sh'],
      Entrypoint: null, WorkingDir: '/diamol', Tty: false, OpenStdin: false, AttachStdin: false, AttachStdout: true, AttachStderr: true,
      Labels: {}, ExposedPorts: {}, Image: 'diamol/ch02-hello-diamol',
    },
    HostConfig: {
      AutoRemove: false, Binds: [], PortBindings: {}, NetworkMode: 'default', Memory: 0, MemorySwap: 0, NanoCpus: 0, CpuShares: 0,
      PidsLimit: 0, CpusetCpus: '', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, Init: false,
    },
    Rootfs: { lowerDirs: [], upperDir: '', workDir: '' },
    ...over,
  };
}

export interface Sleeper { child: ChildProcess; pid: number; start: string }

const sleepers: ChildProcess[] = [];

export function spawnSleeper(seconds = 300): Sleeper {
  const child = spawn('sleep', [String(seconds)], { stdio: 'ignore' });
  sleepers.push(child);
  const pid = child.pid!;
  const start = processStartTime(pid);
  if (!start) throw new Error('sleep did not start');
  return { child, pid, start };
}

/** Kill every sleeper this file started (afterAll). */
export function killSleepers(): void {
  for (const c of sleepers) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  sleepers.length = 0;
}

/** A container that "runs" a real sleep (as both pid and shim). */
export async function runningContainer(over: Partial<CreateSpec> = {}, startedAt = nowIso()): Promise<ContainerRecord & { sleeper: Sleeper }> {
  const rec = await createContainer(spec(over));
  const sleeper = spawnSleeper();
  const state = await updateState(rec.config.Id, (s) => ({
    ...s, Status: 'running', Running: true, Pid: sleeper.pid, PidStart: sleeper.start, ShimPid: sleeper.pid, ShimPidStart: sleeper.start, StartedAt: startedAt,
  }));
  return { config: rec.config, state, sleeper };
}

/** A container that ran and exited with `code`. */
export async function exitedContainer(code: number, over: Partial<CreateSpec> = {}, startedAt = nowIso(), finishedAt = nowIso()): Promise<ContainerRecord> {
  const rec = await createContainer(spec(over));
  const state = await updateState(rec.config.Id, (s) => ({ ...s, Status: 'exited', Running: false, ExitCode: code, StartedAt: startedAt, FinishedAt: finishedAt }));
  return { config: rec.config, state };
}

export function appendLog(id: string, stream: 'stdout' | 'stderr', line: string, time = nowIso()): void {
  appendFileSync(logPath(id), JSON.stringify({ log: line, stream, time }) + '\n');
}

export function writeExitFile(id: string, code: number, finishedAt: string): void {
  writeFileSync(exitFilePath(id), `${code}\n${finishedAt}\n`);
}

/** Pretend the container was created at `created` (config.json is otherwise written once). */
export function backdate(id: string, created: string): void {
  writeJsonAtomic(configPath(id), { ...readConfig(id), Created: created });
}
