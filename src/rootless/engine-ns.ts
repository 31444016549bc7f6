// Rootless mode: the CLI runs inside skiff's engine namespace (see docs/architecture.md, Rootless).
// bin/skiff enters it directly when engine.pid names a live holder; otherwise the CLI lands here
// outside it, makes the holder, and runs itself again inside through `skiff-runtime enter`.
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { processStartTime } from '../kernel/process-identity.js';
import { SkiffError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic.js';
import { withLock } from '../state/lock.js';
import { hostIds, inInitialUserNamespace, storePaths } from '../state/paths.js';
import { nativeBinary } from '../native.js';
import { trace } from '../trace.js';
import { launch } from '../spawn/launch.js';
import { engineHolderPlan } from './engine-plan.js';
import { subIdRanges } from './subid.js';
import { checkHolder } from './holder-identity.js';
import { enterDelegatedScope } from './systemd-scope.js';

/** The holder's pid when engine.pid names this user's live holder (holder-identity.ts), else undefined. */
export function holderAlive(pidFile: string): number | undefined {
  const check = checkHolder(pidFile, nativeBinary('skiff-runtime'));
  if (check.ok) return check.pid;
  if (check.stale) {
    // Ours, but started from a skiff-runtime that was rebuilt since: stop it, a fresh one replaces it.
    try {
      process.kill(check.stale, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  trace.step('engine', `no engine namespace to join: ${check.why}`);
  return undefined;
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
  enterDelegatedScope();
  const plan = engineHolderPlan({ uid, gid, subUid: ranges.uid, subGid: ranges.gid, trace: trace.enabled });
  const r = await launch(plan, {
    stdio: 'ignore',
    detached: true,
    onPid: async (pid) => {
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
  const paths = storePaths(); // checks that the run dir is ours and private (state/private-store.ts)
  if (process.env.SKIFF_ENGINE_TRIED === paths.run) {
    // skiff-runtime enter refused the holder this CLI had just checked or made: never loop.
    throw new SkiffError('EUSERNS', `cannot enter the rootless engine namespace held in ${paths.run}`,
      `stop its holder (kill $(cut -d' ' -f1 ${paths.enginePid})) and try again`);
  }
  await withLock(`${paths.run}/engine.lock`, async () => {
    if (!holderAlive(paths.enginePid)) await startHolder(paths.enginePid);
  });
  const runtime = nativeBinary('skiff-runtime');
  // '--' ends node's options: Node 20 would read a user's --env-file anywhere in its argv.
  const child = spawn(runtime, ['enter', paths.enginePid, process.execPath, ...process.execArgv, '--', process.argv[1] ?? '', ...argv], {
    stdio: 'inherit',
    env: { ...process.env, SKIFF_ENGINE_NS: paths.run, SKIFF_ENGINE_TRIED: paths.run },
  });
  // The child owns the terminal now; signals typed there (INT, QUIT, HUP) reach it directly. Those a
  // terminal never sends (`kill PID` of this process) are passed on, so they reach the container too.
  const ignore = () => {};
  const pass = (s: NodeJS.Signals) => void (child.pid && process.kill(child.pid, s));
  for (const s of ['SIGINT', 'SIGHUP', 'SIGQUIT'] as const) process.on(s, ignore);
  for (const s of ['SIGTERM', 'SIGUSR1', 'SIGUSR2'] as const) process.on(s, pass);
  return new Promise((resolve) => child.on('exit', (code, sig) => {
    if (code !== null || !sig) return resolve(code ?? 125);
    // The command inside ended by a signal (a CLI killed with --sig-proxy=false): end the same way,
    // so whoever started this process sees what it would have seen of the command itself.
    for (const s of ['SIGINT', 'SIGHUP', 'SIGQUIT'] as const) process.off(s, ignore);
    for (const s of ['SIGTERM', 'SIGUSR1', 'SIGUSR2'] as const) process.off(s, pass);
    process.kill(process.pid, sig);
    resolve(128 + (osConstants.signals[sig] ?? 0));
  }));
}
