// Rootless mode: the CLI runs inside skiff's engine namespace (see docs/architecture.md, Rootless).
// bin/skiff enters it directly when engine.pid names a live holder; otherwise the CLI lands here
// outside it, makes the holder, and runs itself again inside through `skiff-runtime enter`.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { processStartTime } from '../kernel/process-identity.js';
import { dirname } from 'node:path';
import { SkiffError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic.js';
import { withLock } from '../state/lock.js';
import { hostIds, inInitialUserNamespace, storePaths } from '../state/paths.js';
import { nativeBinary } from '../native.js';
import { trace } from '../trace.js';
import { launch } from '../spawn/launch.js';
import { engineHolderPlan } from './engine-plan.js';
import { subIdRanges } from './subid.js';

export function holderAlive(pidFile: string): number | undefined {
  try {
    const [pid, start] = readFileSync(pidFile, 'utf8').trim().split(' ');
    return pid && start && processStartTime(Number(pid)) === start ? Number(pid) : undefined;
  } catch {
    return undefined;
  }
}

/** True when this process must first move into the engine namespace. */
export function needsEngineNamespace(): boolean {
  return process.getuid?.() !== 0 && inInitialUserNamespace();
}

async function startHolder(pidFile: string): Promise<void> {
  const { uid, gid } = hostIds();
  const ranges = subIdRanges(uid);
  if (!ranges.uid || !ranges.gid) {
    trace.step('engine', `no /etc/subuid range for ${ranges.user}: single-id map`, 'containers can then use only uid 0');
  }
  const plan = engineHolderPlan({ uid, gid, subUid: ranges.uid, subGid: ranges.gid, trace: trace.enabled });
  const r = await launch(plan, {
    stdio: 'ignore',
    detached: true,
    onPid: async (pid) => {
      mkdirSync(dirname(pidFile), { recursive: true, mode: 0o700 });
      writeFileAtomic(pidFile, `${pid} ${processStartTime(pid)}\n`, 0o600);
    },
  }).catch((e: unknown) => {
    if (e instanceof SkiffError && e.code === 'EUSERNS') throw e;
    throw new SkiffError('EUSERNS', `cannot create the rootless engine namespace: ${(e as Error).message}`,
      'check that unprivileged user namespaces are enabled (skiff doctor)', { cause: e });
  });
  trace.step('engine', `engine namespace held by pid ${r.pid}`);
  // Outbound traffic and published ports cross into the engine's netns through slirp4netns.
  const { ensureEngineUplink } = await import('../network/rootless/uplink.js');
  await ensureEngineUplink(r.pid);
}

/** Make sure the holder runs, then run this same command inside it; resolves to its exit status. */
export async function reexecInEngine(argv: string[]): Promise<number> {
  const paths = storePaths();
  mkdirSync(paths.run, { recursive: true, mode: 0o700 });
  await withLock(`${paths.run}/engine.lock`, async () => {
    if (!holderAlive(paths.enginePid)) await startHolder(paths.enginePid);
  });
  const runtime = nativeBinary('skiff-runtime');
  const child = spawn(runtime, ['enter', paths.enginePid, process.execPath, ...process.execArgv, process.argv[1] ?? '', ...argv], {
    stdio: 'inherit',
    env: { ...process.env, SKIFF_ENGINE_NS: paths.run },
  });
  // The child owns the terminal now; signals typed there reach it directly. A SIGTERM is never typed:
  // it comes from `kill` or a service manager aimed at this process, and must reach the child (a
  // long-running `skiff system service` would otherwise outlive the process that was told to stop).
  for (const s of ['SIGINT', 'SIGHUP', 'SIGQUIT'] as const) process.on(s, () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  return new Promise((resolve) => child.on('exit', (code, sig) => resolve(code ?? 128 + (sig ? 15 : 0))));
}
