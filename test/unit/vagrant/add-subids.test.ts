// scripts/add-subids.sh (run by install.sh for the user who ran sudo): a fresh range after every
// existing one, nothing when the user already has one, nothing at all for an unknown user.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let dir: string;
let uidFile: string;
let gidFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'subids-'));
  uidFile = join(dir, 'subuid');
  gidFile = join(dir, 'subgid');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = (user: string) => spawnSync('sh', ['scripts/add-subids.sh', user, uidFile, gidFile], { encoding: 'utf8' });

describe('add-subids.sh', () => {
  it('first range starts at 100000', () => {
    writeFileSync(uidFile, '');
    writeFileSync(gidFile, '');
    expect(run('root').status).toBe(0);
    expect(readFileSync(uidFile, 'utf8')).toBe('root:100000:65536\n');
    expect(readFileSync(gidFile, 'utf8')).toBe('root:100000:65536\n');
  });

  it('a new range starts after the highest existing one', () => {
    writeFileSync(uidFile, 'alice:100000:65536\nbob:300000:65536\n');
    writeFileSync(gidFile, 'alice:100000:65536\n');
    expect(run('root').status).toBe(0);
    expect(readFileSync(uidFile, 'utf8').trim().split('\n').pop()).toBe('root:365536:65536');
    expect(readFileSync(gidFile, 'utf8').trim().split('\n').pop()).toBe('root:165536:65536');
  });

  it('keeps an existing range (by name or uid)', () => {
    writeFileSync(uidFile, 'root:500000:65536\n');
    writeFileSync(gidFile, '0:500000:65536\n');
    const r = run('root');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('already has a range');
    expect(readFileSync(uidFile, 'utf8')).toBe('root:500000:65536\n');
    expect(readFileSync(gidFile, 'utf8')).toBe('0:500000:65536\n');
  });

  it('an unknown user changes nothing', () => {
    writeFileSync(uidFile, 'alice:100000:65536\n');
    const r = run('no-such-user-skiff');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no such user');
    expect(readFileSync(uidFile, 'utf8')).toBe('alice:100000:65536\n');
  });
});
