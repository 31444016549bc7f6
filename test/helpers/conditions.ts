// Tests that need root, a user namespace, a tool or a VM check the condition here. Outside CI a
// missing condition skips the test (a developer's laptop may lack it); in CI (CI=true) it fails the
// test instead, because a test skipped in CI is not a test.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { it, type TestFunction } from 'vitest';

export const inCI = process.env.CI === 'true' || process.env.CI === '1';
export const isRoot = process.getuid?.() === 0;

export function haveCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function userNamespacesWork(): boolean {
  try {
    execFileSync('unshare', ['--user', '--map-root-user', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The reason a condition is unmet, or undefined when it holds. */
export type Condition = () => string | undefined;

export const needRoot: Condition = () => (isRoot ? undefined : 'needs root');
export const needCommand = (cmd: string): Condition => () => (haveCommand(cmd) ? undefined : `needs ${cmd} on PATH`);
export const needFile = (path: string): Condition => () => (existsSync(path) ? undefined : `needs ${path}`);
export const needUserns: Condition = () => (userNamespacesWork() ? undefined : 'needs unprivileged user namespaces');

/**
 * `it` that runs only when all conditions hold; otherwise skipped locally, failed in CI.
 *   itWhen([needRoot], 'mounts overlay', async () => { … })
 */
export function itWhen(conditions: Condition[], name: string, fn: TestFunction, timeout?: number): void {
  const unmet = conditions.map((c) => c()).filter((r): r is string => !!r);
  if (unmet.length === 0) {
    it(name, fn, timeout);
  } else if (inCI) {
    it(name, () => {
      throw new Error(`condition not met in CI: ${unmet.join(', ')}`);
    });
  } else {
    it.skip(`${name} [${unmet.join(', ')}]`, fn);
  }
}
