// The pure parts of `skiff cp`: Docker's argument split, path splitting, archive names, Go file modes.
import { describe, expect, it } from 'vitest';
import { lstatSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { splitCpArg } from '../../src/engine/cp.js';
import { containerPathSplit } from '../../src/engine/container-files.js';
import { cleanName, goFileMode } from '../../src/engine/fs-entries.js';
import { applyChanges } from '../../src/engine/commit.js';
import { scratchConfig } from '../../src/image/build/oci-config.js';

describe('cp paths', () => {
  it('splits arguments as docker cp does', () => {
    expect(splitCpArg('web:/etc/passwd')).toEqual({ container: 'web', path: '/etc/passwd' });
    expect(splitCpArg('/tmp/a:b')).toEqual({ path: '/tmp/a:b' });
    expect(splitCpArg('./a:b')).toEqual({ path: './a:b' });
    expect(splitCpArg('file')).toEqual({ path: 'file' });
    expect(splitCpArg('-')).toEqual({ path: '-' });
  });
  it('normalises container paths lexically; a trailing / or /. follows the last name', () => {
    expect(containerPathSplit('/a/../b')).toEqual({ dir: '/', base: 'b', followLast: false });
    expect(containerPathSplit('../../etc/passwd')).toEqual({ dir: '/etc', base: 'passwd', followLast: false });
    expect(containerPathSplit('/etc/')).toEqual({ dir: '/', base: 'etc', followLast: true });
    expect(containerPathSplit('/etc/.')).toEqual({ dir: '/', base: 'etc', followLast: true });
    expect(containerPathSplit('/')).toEqual({ dir: '/', base: '', followLast: true });
  });
  it('refuses .. in archive names and strips ./ and /', () => {
    expect(cleanName('./a/b/')).toBe('a/b');
    expect(cleanName('/abs/x')).toBe('abs/x');
    expect(cleanName('.')).toBe('');
    expect(() => cleanName('a/../../x')).toThrow(/outside the destination/);
  });
  it('gives Go\'s os.FileMode bits', () => {
    const d = mkdtempSync('/tmp/skiff-unit-cp-');
    try {
      symlinkSync('/', join(d, 'l'));
      expect(goFileMode(lstatSync(join(d, 'l'))) & (1 << 27)).toBeTruthy();
      expect(goFileMode(lstatSync(d))).toBe((2 ** 31 + (lstatSync(d).mode & 0o777)) >>> 0);
    } finally {
      rmSync(d, { recursive: true });
    }
  });
  it('applies --change lines and refuses the ones Docker refuses', () => {
    const c = applyChanges(scratchConfig(), ['CMD ["a", "b"]', 'ENV X=1', 'EXPOSE 80', 'LABEL k=v', 'WORKDIR /w', 'USER 5']);
    expect(c.config).toMatchObject({ Cmd: ['a', 'b'], Env: ['X=1'], ExposedPorts: { '80/tcp': {} }, Labels: { k: 'v' }, WorkingDir: '/w', User: '5' });
    expect(c.history).toEqual([]);
    expect(() => applyChanges(scratchConfig(), ['RUN x'])).toThrow('run is not a valid change command');
    expect(() => applyChanges(scratchConfig(), ['FROM x'])).toThrow('from is not a valid change command');
  });
});
