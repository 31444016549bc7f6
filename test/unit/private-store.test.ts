// The store's walls in isolation: private dirs made or tightened, planted ones refused, old stores
// closed without touching what containers read through mounts; lock and pid files never followed.
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensurePrivateDir, securePaths, tightenOldStore } from '../../src/state/private-store.js';
import { acquireLock } from '../../src/state/lock.js';
import { writeFileAtomic } from '../../src/state/atomic.js';
import { checkHolder } from '../../src/rootless/holder-identity.js';
import { processStartTime } from '../../src/kernel/process-identity.js';
import { itWhen, needRoot } from '../helpers/conditions.js';

const mode = (p: string): number => statSync(p).mode & 0o7777;
let base: string;
beforeEach(() => {
  base = mkdtempSync('/tmp/skiff-private-');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe('private store directories', () => {
  it('are made 0700 (parents too), and a 0755 one of ours is tightened', () => {
    ensurePrivateDir(join(base, 'a', 'b'), 'store');
    expect([mode(join(base, 'a')), mode(join(base, 'a', 'b'))]).toEqual([0o700, 0o700]);
    mkdirSync(join(base, 'c'), { mode: 0o755 });
    ensurePrivateDir(join(base, 'c'), 'run directory');
    expect(mode(join(base, 'c'))).toBe(0o700);
  });

  it('a symlink or a directory others can write into is refused, not used', () => {
    mkdirSync(join(base, 'target'));
    symlinkSync(join(base, 'target'), join(base, 'link'));
    expect(() => ensurePrivateDir(join(base, 'link'), 'run directory')).toThrow(/the run directory is a symlink/);
    ensurePrivateDir(join(base, 'link'), 'store'); // a store moved elsewhere and linked back by its owner
    expect(mode(join(base, 'target'))).toBe(0o700);
    mkdirSync(join(base, 'open'));
    chmodSync(join(base, 'open'), 0o777);
    expect(() => ensurePrivateDir(join(base, 'open'), 'run directory')).toThrow(/writable by other users \(mode 777\)/);
    expect(mode(join(base, 'open'))).toBe(0o777);
  });

  itWhen([needRoot], 'a directory of another user is refused, with what to do', () => {
    mkdirSync(join(base, 'theirs'), { mode: 0o700 });
    chownSync(join(base, 'theirs'), 4321, 4321);
    expect(() => ensurePrivateDir(join(base, 'theirs'), 'run directory')).toThrow(/belongs to uid 4321, not to you \(uid 0\)/);
  });

  it('an old store is closed once; upper dirs and volume roots keep their modes', () => {
    const data = join(base, 'data');
    const c = join(data, 'containers', 'a'.repeat(64));
    for (const d of [join(c, 'upper'), join(data, 'volumes', 'v', '_data'), join(data, 'container-names')]) mkdirSync(d, { recursive: true, mode: 0o755 });
    for (const d of [data, join(data, 'containers'), c, join(data, 'volumes'), join(data, 'volumes', 'v'), join(data, 'volumes', 'v', '_data'), join(c, 'upper')]) chmodSync(d, 0o755);
    writeFileSync(join(c, 'config.json'), '{}', { mode: 0o644 });
    securePaths(data, join(data, 'run'));
    expect([mode(data), mode(join(data, 'containers')), mode(c), mode(join(c, 'config.json')), mode(join(data, 'volumes', 'v')), mode(join(data, 'container-names'))])
      .toEqual([0o700, 0o700, 0o700, 0o600, 0o700, 0o700]);
    expect([mode(join(c, 'upper')), mode(join(data, 'volumes', 'v', '_data')), mode(join(data, 'run'))]).toEqual([0o755, 0o755, 0o700]);
    tightenOldStore(data); // idempotent
    expect(mode(join(c, 'upper'))).toBe(0o755);
  });

  it('records are 0600 by default, and their temp files are never someone else\'s', () => {
    writeFileAtomic(join(base, 'r', 'config.json'), 'x');
    expect([mode(join(base, 'r')), mode(join(base, 'r', 'config.json'))]).toEqual([0o700, 0o600]);
  });
});

describe('lock and pid files are not followed', () => {
  it('a lock file that is a symlink is refused and its target never created', async () => {
    symlinkSync(join(base, 'victim-file'), join(base, 'x.lock'));
    await expect(acquireLock(join(base, 'x.lock'), 100)).rejects.toThrow(/refusing lock file .*x\.lock: it is a symlink/);
    expect(existsSync(join(base, 'victim-file'))).toBe(false);
  });

  it('a holder must be named by a real pid file of ours and run skiff-runtime', () => {
    const runtime = process.execPath; // stands in for skiff-runtime: this very process then "is" a holder
    const pidFile = join(base, 'engine.pid');
    writeFileSync(pidFile, `${process.pid} ${processStartTime(process.pid)}\n`);
    expect(checkHolder(pidFile, runtime)).toEqual({ ok: true, pid: process.pid });
    expect(checkHolder(pidFile, '/bin/sh')).toMatchObject({ ok: false, why: expect.stringMatching(/runs .*, not skiff-runtime/) });
    writeFileSync(pidFile, `${process.pid} 1\n`);
    expect(checkHolder(pidFile, runtime)).toEqual({ ok: false, why: 'holder is gone' });
    writeFileSync(join(base, 'real.pid'), `${process.pid} ${processStartTime(process.pid)}\n`);
    rmSync(pidFile);
    symlinkSync(join(base, 'real.pid'), pidFile);
    expect(checkHolder(pidFile, runtime)).toEqual({ ok: false, why: 'no pid file' });
  });
});
