// The engine's bookkeeping around a container's process, in-process with the launcher faked (no
// namespaces needed): the "running" record of an attached run lands before its "exited"; one run
// resolves its user once; removing a record removes its directory once; rm -f signals through a
// pidfd, never process.kill; and `restart -t abc` is refused as `stop -t abc` is, instead of waiting forever.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { skiff, tempStore, type Store } from '../helpers/skiff.js';
import { killSleepers, runningContainer, spawnSleeper, spec, useStore, type Sleeper } from '../helpers/fake-containers.js';
import type { Plan } from '../../src/spawn/plan.js';

// The launcher, faked: it reports the exec of `execPid` while the test holds the container's lock
// (so the "running" write has to wait for it) and "exits" at once, as a short `run … true` does.
const fake = vi.hoisted(() => ({ execPid: 0, holdLockMs: 0, lockPath: '', plan: undefined as unknown }));
vi.mock('../../src/spawn/launch.js', async () => {
  const { acquireLock } = await import('../../src/state/lock.js');
  return {
    launch: async (plan: unknown, opts: { onExec?: (pid: number, runtimePid: number) => void }) => {
      fake.plan = plan;
      const lock = fake.holdLockMs ? await acquireLock(fake.lockPath) : undefined;
      opts.onExec?.(fake.execPid, fake.execPid);
      if (lock) setTimeout(() => lock.release(), fake.holdLockMs);
      return { exitCode: 0, pid: fake.execPid, runtimePid: fake.execPid };
    },
  };
});
// No cgroup: these tests are about the records, and need no controller.
vi.mock('../../src/cgroups/index.js', async (orig) => ({
  ...(await orig<object>()),
  createContainerCgroup: async () => undefined,
  removeContainerCgroup: async () => {},
  readCgroupStats: async () => ({}),
}));
vi.mock('../../src/engine/user-lookup.js', async (orig) => {
  const real = await orig<typeof import('../../src/engine/user-lookup.js')>();
  return { ...real, resolveUser: vi.fn(real.resolveUser) };
});
vi.mock('node:fs', async (orig) => {
  const real = await orig<typeof import('node:fs')>();
  return { ...real, rmSync: vi.fn(real.rmSync) };
});

const { createFromRequest, startContainer } = await import('../../src/engine/run.js');
const { finishContainer, removeContainerFiles } = await import('../../src/engine/exit.js');
const { killRecordedProcesses } = await import('../../src/engine/remove-deps.js');
const { resolveUser } = await import('../../src/engine/user-lookup.js');
const { containerDir, containerLockPath, createContainer, readConfig, readState, updateState } = await import('../../src/state/containers.js');
const { storePaths } = await import('../../src/state/paths.js');
const { processStartTime } = await import('../../src/kernel/process-identity.js');

let store: Store;
let layer: string;
beforeAll(() => {
  store = tempStore('skiff-books-');
  useStore(store.root);
  // One image layer with a passwd that gives `app` its own home.
  layer = join(storePaths().layers, 'fake', 'diff');
  fs.mkdirSync(join(layer, 'etc'), { recursive: true });
  fs.writeFileSync(join(layer, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
  fs.writeFileSync(join(layer, 'etc/group'), 'root:x:0:\napp:x:1000:\n');
});
afterAll(() => {
  killSleepers();
  store.dispose();
});

const image = () => ({ id: 'sha256:' + 'cd'.repeat(32), ref: 'fake:latest', config: { config: { Cmd: ['true'], Env: ['PATH=/usr/bin:/bin'] } }, layerDirs: [layer] });
const request = (over: Record<string, unknown> = {}) => ({
  image: 'fake', command: [], rm: false, detach: false, tty: false, interactive: false, env: [], volumes: [], publish: [], publishAll: false,
  network: 'none', limits: {}, pull: 'never' as const, init: false, restart: { Name: 'no', MaximumRetryCount: 0 }, ...over,
});

async function killed(s: Sleeper): Promise<void> {
  s.child.kill('SIGKILL');
  if (s.child.exitCode === null && s.child.signalCode === null) await once(s.child, 'exit');
}

describe('an attached run\'s records', () => {
  it('"running" is written before start returns, so the caller\'s "exited" always lands last', async () => {
    const config = await createFromRequest(request(), image());
    const sleeper = spawnSleeper();
    Object.assign(fake, { execPid: sleeper.pid, holdLockMs: 300, lockPath: containerLockPath(config.Id) });
    try {
      expect(await startContainer(config.Id, { attach: true, trace: false })).toBe(0);
      // Before the fix start returned here with the write still waiting for the lock: "created".
      expect(readState(config.Id)).toMatchObject({ Status: 'running', Pid: sleeper.pid });
      await killed(sleeper);
      await finishContainer(config.Id);
      await new Promise((r) => setTimeout(r, 400));
      expect(readState(config.Id)).toMatchObject({ Status: 'exited', Running: false, ExitCode: 0 });
    } finally {
      fake.holdLockMs = 0;
      await killed(sleeper);
    }
  });

  it('one run resolves its user once; HOME reaches the process, not the record', async () => {
    vi.mocked(resolveUser).mockClear();
    const config = await createFromRequest(request({ user: 'app' }), image());
    const sleeper = spawnSleeper();
    fake.execPid = sleeper.pid;
    try {
      await startContainer(config.Id, { attach: true, trace: false });
      expect(vi.mocked(resolveUser)).toHaveBeenCalledTimes(1);
      const env = (fake.plan as Plan).steps.find((s) => s.op === 'env');
      expect(env?.args).toContain('HOME=/home/app');
      expect(readConfig(config.Id).Config.Env.some((e) => e.startsWith('HOME='))).toBe(false);
    } finally {
      await killed(sleeper);
      // An attached run records this very process as its supervisor: finish it, or the store's
      // final `rm -f` would kill the test worker.
      await finishContainer(config.Id);
    }
  });
});

describe('removal', () => {
  it('removeContainerFiles removes the record\'s directory once', async () => {
    const rec = await createContainer(spec());
    const dir = containerDir(rec.config.Id);
    vi.mocked(fs.rmSync).mockClear();
    await removeContainerFiles(rec.config.Id);
    expect(fs.existsSync(dir)).toBe(false);
    expect(vi.mocked(fs.rmSync).mock.calls.filter(([p]) => p === dir)).toEqual([]);
  });

  it('rm -f kills the recorded process through a pidfd, never with process.kill', async () => {
    const c = await runningContainer();
    const kill = vi.spyOn(process, 'kill');
    try {
      await killRecordedProcesses(c.config.Id);
      expect(kill).not.toHaveBeenCalled();
      expect(c.sleeper.child.signalCode ?? (await once(c.sleeper.child, 'exit'))[1]).toBe('SIGKILL');
      expect(readState(c.config.Id)).toMatchObject({ Status: 'exited', ExitCode: 137 });
    } finally {
      kill.mockRestore();
    }
  });
});

describe('stop and restart timeouts', () => {
  it('restart -t abc is refused at once, as stop -t abc is, and the container is left alone', async () => {
    // A container whose process ignores SIGTERM: a stop that never times out would wait forever.
    const child = spawn('sh', ['-c', 'trap "" TERM; while :; do sleep 1; done'], { stdio: 'ignore' });
    const rec = await createContainer(spec({ Name: 'stubborn' }));
    await new Promise((r) => setTimeout(r, 100));
    const start = processStartTime(child.pid!);
    await updateState(rec.config.Id, (s) => ({ ...s, Status: 'running', Running: true, Pid: child.pid!, PidStart: start, ShimPid: child.pid!, ShimPidStart: start }));
    try {
      for (const verb of ['stop', 'restart']) {
        const r = skiff([verb, '-t', 'abc', 'stubborn'], { env: store.env, timeout: 15_000 });
        expect(r.signal, `${verb} must not hang`).toBeNull();
        expect(r.status).toBe(125);
        expect(r.stderr).toContain('invalid timeout: abc');
      }
      expect(readState(rec.config.Id).ManualStop).toBeFalsy();
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
    }
  });
});
