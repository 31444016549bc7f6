// Stores for the rootless test users, and stopping their engine-namespace holders afterwards.
import { chownSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runAs, type TestUser } from './users.js';
import { SKIFF, type Store } from './skiff.js';

export function userStore(user: TestUser, prefix = 'skiff-user-'): Store {
  const root = mkdtempSync(join('/tmp', prefix));
  chmodSync(root, 0o755);
  chownSync(root, user.uid, user.gid);
  return {
    root,
    env: { SKIFF_ROOT: root },
    dispose() {
      runAs(user, 'sh', ['-c', `ids=$("${SKIFF}" ps -aq); [ -z "$ids" ] || "${SKIFF}" rm -f $ids`], { SKIFF_ROOT: root });
      stopEngine(root);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Kill the rootless engine holder of a store (its namespaces go with it). */
export function stopEngine(root: string): void {
  const pidFile = join(root, 'run', 'engine.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split(' ')[0]);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Host mounts, minus the fields that change between reads: to prove a run left none behind. */
export function mountSnapshot(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').map((l) => l.split(' ').slice(3, 5).join(' ')).sort();
}
