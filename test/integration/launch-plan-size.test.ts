// The launch plan reaches skiff-runtime whatever its size up to the launcher's limit (it once went
// through a pipe written before the launcher started, and a plan over 64 KiB hung `skiff run` forever);
// beyond the limit skiff refuses with one clear line and leaves nothing behind. Root and rootless.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needCommand, needRoot, needUserns } from '../helpers/conditions.js';
import { skiff, skiffAs, tempStore, type Store } from '../helpers/skiff.js';
import { ensureTestUser } from '../helpers/users.js';
import { userStore } from '../helpers/engine.js';

let dir: string;
/** An env file of `count` variables, each `size` bytes long ("Vn=xxxx…"). */
function envFile(name: string, count: number, size: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = `V${i}=`;
    lines.push(key + 'x'.repeat(size - key.length));
  }
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  chmodSync(path, 0o644);
  return path;
}

beforeAll(() => {
  dir = mkdtempSync('/tmp/skiff-plan-size-');
  chmodSync(dir, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 8,192 variables of 128 bytes: 1 MiB of environment, within execve's limits (128 KiB a string, 2 MiB in all).
const COUNT = 8192, SIZE = 128;
// sum of the lengths the container sees, one line per variable
const countScript = 'env | grep -c "^V[0-9]*=x"; env | grep "^V[0-9]*=" | wc -c';

describe('launch plan size (root)', () => {
  let store: Store;
  beforeAll(() => {
    store = tempStore('skiff-plan-size-');
  });
  afterAll(() => store?.dispose());

  itWhen([needRoot], 'a 1 MiB environment from --env-file reaches the container intact', () => {
    const r = skiff(['run', '--rm', '--env-file', envFile('big.env', COUNT, SIZE), 'diamol/base', 'sh', '-c', countScript], { env: store.env, timeout: 60_000 });
    expect(r.error, 'skiff run hung').toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([String(COUNT), String(COUNT * (SIZE + 1))]);
  }, 90_000);

  itWhen([needRoot], '2,000 -e flags work', () => {
    const args = Array.from({ length: 2000 }, (_, i) => ['-e', `E${i}=${'y'.repeat(40)}`]).flat();
    const r = skiff(['run', '--rm', ...args, 'diamol/base', 'sh', '-c', 'env | grep -c "^E[0-9]*=y"'], { env: store.env, timeout: 60_000 });
    expect(r.error, 'skiff run hung').toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('2000');
  }, 90_000);

  itWhen([needRoot], 'a plan over the launcher\'s 16 MiB is refused with one line, and nothing is left', () => {
    const r = skiff(['run', '--env-file', envFile('huge.env', 17 * 1024, 1024), 'diamol/base', 'true'], { env: store.env, timeout: 60_000 });
    expect(r.error, 'skiff run hung').toBeUndefined();
    expect(r.status).toBe(125);
    const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('skiff:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/too large.*16 MiB/);
    expect(skiff(['ps', '-aq'], { env: store.env }).stdout).toBe('');
  }, 90_000);

  itWhen([needRoot], 'one variable over execve\'s 128 KiB per string is a clear exec error, not a hang', () => {
    const path = join(dir, 'one-big.env');
    writeFileSync(path, `BIG=${'z'.repeat(200 * 1024)}\n`);
    const r = skiff(['run', '--rm', '--env-file', path, 'diamol/base', 'true'], { env: store.env, timeout: 60_000 });
    expect(r.error, 'skiff run hung').toBeUndefined();
    expect(r.status).toBe(126);
    expect(r.stderr).toContain('argument list too long');
  }, 90_000);
});

describe('launch plan size (rootless)', () => {
  itWhen([needRoot, needUserns, needCommand('newuidmap')], 'a 1 MiB environment reaches a rootless container', () => {
    const user = ensureTestUser(true);
    const s = userStore(user, 'skiff-plan-size-user-');
    try {
      const r = skiffAs(user, ['run', '--rm', '--env-file', envFile('big-user.env', COUNT, SIZE), 'diamol/base', 'sh', '-c', countScript], s.env);
      expect(r.error, 'skiff run hung').toBeUndefined();
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual([String(COUNT), String(COUNT * (SIZE + 1))]);
    } finally {
      s.dispose();
    }
  }, 120_000);
});
