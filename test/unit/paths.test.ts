import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dataAndRunRoots } from '../../src/state/paths.js';

// bin/skiff finds the rootless engine namespace before Node starts, with its own copy of the
// run-dir rule. This test runs that shell fragment and compares it with paths.ts.
function shellRunDir(env: Record<string, string>): string {
  const script = readFileSync('bin/skiff', 'utf8');
  const m = script.match(/if \[ -n "\$\{SKIFF_ROOT:-\}" \][\s\S]*?\n  fi\n/);
  if (!m) throw new Error('run-dir rule not found in bin/skiff');
  return execFileSync('sh', ['-c', `${m[0]}\nprintf %s "$run"`], { env: { PATH: process.env.PATH!, ...env }, encoding: 'utf8' });
}

describe('store paths', () => {
  const uid = process.getuid!();
  const cases: Record<string, string>[] = [
    { SKIFF_ROOT: '/x/store', HOME: '/home/a' },
    { XDG_RUNTIME_DIR: '/run/user/1000', HOME: '/home/a' },
    { HOME: '/home/a' },
  ];
  for (const env of cases) {
    it(`shell front door and paths.ts agree for ${JSON.stringify(env)}`, () => {
      expect(shellRunDir(env)).toBe(dataAndRunRoots('rootless', uid, env).run);
    });
  }

  it('rootful uses /var/lib/skiff and /run/skiff', () => {
    expect(dataAndRunRoots('rootful', 0, {})).toEqual({ data: '/var/lib/skiff', run: '/run/skiff' });
  });

  it('rootless data follows XDG_DATA_HOME, then ~/.local/share', () => {
    expect(dataAndRunRoots('rootless', 1000, { HOME: '/home/a', XDG_DATA_HOME: '/d' }).data).toBe('/d/skiff');
    expect(dataAndRunRoots('rootless', 1000, { HOME: '/home/a' }).data).toBe('/home/a/.local/share/skiff');
  });
});
