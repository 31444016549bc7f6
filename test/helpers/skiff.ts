// Running the real CLI (bin/skiff → dist/cli.js) from tests, each test file with a private store.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runAs, type TestUser } from './users.js';

export const SKIFF = resolve('bin/skiff');

export interface Store { root: string; env: Record<string, string>; dispose(): void }

/** A private store under /tmp (world-traversable so a test user can own its own one). */
export function tempStore(prefix = 'skiff-test-'): Store {
  const root = mkdtempSync(join('/tmp', prefix));
  chmodSync(root, 0o755);
  return {
    root,
    env: { SKIFF_ROOT: root },
    dispose() {
      // A test that failed half-way may leave containers running: stop them before their store goes.
      spawnSync('sh', ['-c', `ids=$("${SKIFF}" ps -aq); [ -z "$ids" ] || "${SKIFF}" rm -f $ids`], { env: { ...process.env, SKIFF_ROOT: root }, stdio: 'ignore', timeout: 60_000 });
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function skiff(args: string[], opts: { env?: Record<string, string>; input?: string; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(SKIFF, args, {
    encoding: 'utf8',
    input: opts.input,
    env: { ...process.env, ...opts.env },
    timeout: opts.timeout ?? 120_000,
  });
}

export function skiffAs(user: TestUser, args: string[], env: Record<string, string> = {}, input?: string): SpawnSyncReturns<string> {
  return runAs(user, SKIFF, args, env, input);
}
