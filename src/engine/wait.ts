// Waiting for a container to end, as Docker's `wait` conditions define it: `not-running` (now, if it
// is not running), `next-exit` (the next time its process ends) and `removed` (once its record is gone,
// e.g. after --rm). The exit is known from the supervisor's exit file, which appears after the last
// log line is written and before the --rm cleanup runs, so a watcher on the container's directory sees
// it even when the container is removed right after.
import { existsSync } from 'node:fs';
import { containerDir, containerExists } from '../state/containers.js';
import { watchChanges } from '../state/change-watch.js';
import { readExitFile, refreshState } from '../state/liveness.js';
import { expectsProcess } from '../state/container-record.js';
import { SkiffError } from '../errors.js';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface WaitResult { StatusCode: number; Error: { Message: string } | null }

/** What the exit file says now, as a key that changes with every run ('' when there is none). */
export function exitMark(id: string): string {
  const e = readExitFile(id);
  return e ? `${e.exitCode} ${e.finishedAt}` : '';
}

export function parseWaitCondition(text: string | undefined): WaitCondition {
  const c = text || 'not-running';
  if (c !== 'not-running' && c !== 'next-exit' && c !== 'removed') {
    throw new SkiffError('EUSAGE', `invalid condition: "${c}"`, 'use not-running, next-exit or removed');
  }
  return c;
}

/**
 * Resolves when the condition holds, with the exit code; `signal` aborts the wait (the client went
 * away), resolving undefined. Checks on every change in the container's directory and every `pollMs`.
 */
export async function waitContainer(id: string, condition: WaitCondition, signal?: AbortSignal, pollMs = 100): Promise<WaitResult | undefined> {
  const begin = exitMark(id);
  let lastCode = (await refreshState(id)).ExitCode;
  let sawExit = false;
  const dir = containerDir(id);
  const changes = watchChanges(dir, signal);
  try {
    for (;;) {
      if (signal?.aborted) return undefined;
      const mark = existsSync(dir) ? exitMark(id) : '';
      if (mark && mark !== begin && !sawExit) {
        sawExit = true;
        lastCode = Number(mark.split(' ')[0]);
        // A --rm container is removed by the cleanup its supervisor starts — a new skiff process, whose
        // start-up the waiting client would sit through. This process is already running: finish it
        // here (finishContainer is idempotent; with --rm no restart policy can apply twice).
        if (condition === 'removed') await finishIfAutoRemove(id);
      }
      if (!containerExists(id)) {
        if (condition === 'removed' || sawExit) return { StatusCode: lastCode, Error: null };
        return { StatusCode: lastCode, Error: null };
      }
      let running = false;
      try {
        const s = await refreshState(id);
        running = expectsProcess(s);
        if (!running && !sawExit) lastCode = s.ExitCode;
      } catch (e) {
        if ((e as { code?: string }).code !== 'ENOCONTAINER') throw e;
        continue;
      }
      if (condition === 'not-running' && !running) return { StatusCode: lastCode, Error: null };
      if (condition === 'next-exit' && sawExit) return { StatusCode: lastCode, Error: null };
      await changes.next(pollMs);
    }
  } finally {
    changes.close();
  }
}

async function finishIfAutoRemove(id: string): Promise<void> {
  try {
    const { readConfig } = await import('../state/containers.js');
    if (!readConfig(id).HostConfig.AutoRemove) return;
    const { finishContainer } = await import('./exit.js');
    await finishContainer(id);
  } catch {
    // Removed meanwhile, or racing the supervisor's own cleanup (which runs the same idempotent steps
    // and is the one that must succeed): the wait goes on until the record is gone either way.
  }
}
