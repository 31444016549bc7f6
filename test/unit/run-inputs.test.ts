// Flags that reach sethostname, the names directory or the mount plan are refused when parsed, with
// one line (control characters escaped) — not late, with a raw errno.
import { describe, expect, it } from 'vitest';
import { checkRunInputs, hostnameProblem } from '../../src/engine/run-inputs.js';
import { parseVolumeSpec } from '../../src/volumes/spec.js';
import { containerNameProblem, isValidContainerName } from '../../src/state/names.js';

const oneLine = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    // EINVALID: what Docker's daemon refuses (run exits 125 for it, create 1: src/cli/main.ts).
    expect((e as { code: string }).code).toMatch(/^(EUSAGE|EINVALID)$/);
    expect(e).toMatchObject({ exitCode: 125 });
    return msg;
  }
  throw new Error('accepted');
};

describe('run/create input limits', () => {
  it('-v over the container root is refused in every spelling; ordinary specs pass', () => {
    for (const v of ['/tmp:/', '/tmp://', '/tmp:/.', '/tmp:/x/..', 'data:/:ro', '/tmp:/../..']) {
      expect(oneLine(() => parseVolumeSpec(v))).toContain("destination can't be '/'");
    }
    expect(parseVolumeSpec('/tmp:/data:ro')).toEqual({ source: '/tmp', named: false, target: '/data', readonly: true });
    expect(parseVolumeSpec('vol:/data')).toMatchObject({ source: 'vol', named: true });
    expect(oneLine(() => parseVolumeSpec('/tmp:/a\nb'))).toContain('\\n');
    expect(oneLine(() => parseVolumeSpec(`${'v'.repeat(254)}:/data`))).toMatch(/^invalid volume specification/);
  });

  it('hostnames: 63 characters at most, no newline or space; Docker-style names pass', () => {
    expect(hostnameProblem('a'.repeat(63))).toBeUndefined();
    expect(hostnameProblem('web-1.example_x')).toBeUndefined();
    expect(hostnameProblem('a'.repeat(64))).toMatch(/longer than 63/);
    expect(hostnameProblem('evil\nhost')).toMatch(/"evil\\nhost"/);
    for (const h of ['', '-a', 'a b', 'a/b']) expect(hostnameProblem(h)).toBeDefined();
    expect(oneLine(() => checkRunInputs({ hostname: 'x\n127.0.0.1 bank' }))).toMatch(/^invalid hostname/);
  });

  it('container names: 253 characters at most, Docker\'s characters', () => {
    expect(isValidContainerName('a'.repeat(253))).toBe(true);
    expect(isValidContainerName('/' + 'a'.repeat(253))).toBe(true);
    expect(isValidContainerName('a'.repeat(254))).toBe(false);
    expect(containerNameProblem('a'.repeat(300))).toMatch(/at most 253 characters/);
    expect(oneLine(() => checkRunInputs({ name: 'bad\nname' }))).toContain('bad\\nname');
    expect(() => checkRunInputs({ name: 'web', hostname: 'web', volume: ['/tmp:/data'] })).not.toThrow();
  });
});
