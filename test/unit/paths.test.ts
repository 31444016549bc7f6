import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { dataAndRunRoots } from '../../src/state/paths.js';

// bin/skiff (the native front door) finds the run dir — the resident server's socket, the rootless
// engine namespace — before Node starts, with its own copy of the rule. This asks it (SKIFF_WARM=run-dir)
// and compares with paths.ts, as an ordinary user (root drops to nobody for it) and as root.
const NOBODY = 65534;
function frontDoorRunDir(env: Record<string, string>, asUser: boolean): string {
  const drop = asUser && process.getuid!() === 0 ? ['setpriv', '--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups'] : [];
  const [cmd, ...args] = [...drop, 'bin/skiff'];
  return execFileSync(cmd!, args, { env: { PATH: process.env.PATH!, ...env, SKIFF_WARM: 'run-dir' }, encoding: 'utf8' });
}

describe('store paths', () => {
  const userUid = process.getuid!() === 0 ? NOBODY : process.getuid!();
  const cases: Record<string, string>[] = [
    { SKIFF_ROOT: '/x/store', HOME: '/home/a' },
    { XDG_RUNTIME_DIR: '/run/user/1000', HOME: '/home/a' },
    { HOME: '/home/a' },
  ];
  for (const env of cases) {
    it(`front door and paths.ts agree for an ordinary user with ${JSON.stringify(env)}`, () => {
      expect(frontDoorRunDir(env, true)).toBe(dataAndRunRoots('rootless', userUid, env).run);
    });
    if (process.getuid!() === 0) {
      it(`front door and paths.ts agree for root with ${JSON.stringify(env)}`, () => {
        expect(frontDoorRunDir(env, false)).toBe(dataAndRunRoots('rootful', 0, env).run);
      });
    }
  }

  it('rootful uses /var/lib/skiff and /run/skiff', () => {
    expect(dataAndRunRoots('rootful', 0, {})).toEqual({ data: '/var/lib/skiff', run: '/run/skiff' });
  });

  it('rootless data follows XDG_DATA_HOME, then ~/.local/share', () => {
    expect(dataAndRunRoots('rootless', 1000, { HOME: '/home/a', XDG_DATA_HOME: '/d' }).data).toBe('/d/skiff');
    expect(dataAndRunRoots('rootless', 1000, { HOME: '/home/a' }).data).toBe('/home/a/.local/share/skiff');
  });
});
