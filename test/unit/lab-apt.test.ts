import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closure, parseDepends, upstreamVersion } from '../../rootfs/lib/apt.js';

// Shape of `apt-cache depends --recurse --no-recommends …` output, trimmed to the cases that matter:
// alternatives (`|Depends`), a virtual package with providers, an excluded package and its own deps.
const OUTPUT = `app
  Depends: <perl:any>
    perl
 |Depends: libdb-sqlite
  Depends: libdb-mysql
  Depends: libc6
  PreDepends: libz
perl
  Depends: perl-base
  Depends: libc6
libdb-sqlite
  Depends: libsqlite
libdb-mysql
  Depends: libmysql
libc6
  Depends: libgcc-s1
libz
  Depends: libc6
libgcc-s1
  Depends: libc6
libsqlite
libmysql
perl-base
<perl:any>
`;

describe('Debian closure for lab layers', () => {
  const graph = { blocks: parseDepends(OUTPUT) };

  it('follows Depends and Pre-Depends, first alternative only, and drops perl with what only perl needs', () => {
    expect(closure(graph, ['app'])).toEqual(['app', 'libc6', 'libdb-sqlite', 'libgcc-s1', 'libsqlite', 'libz']);
  });

  it('takes the next alternative when the first is excluded, and nothing when all are', () => {
    expect(closure(graph, ['app'], ['libdb-sqlite'])).toContain('libdb-mysql');
    expect(closure(graph, ['app'], ['libdb-sqlite', 'libdb-mysql'])).toEqual(['app', 'libc6', 'libgcc-s1', 'libz']);
  });

  it('refuses a root apt does not know', () => {
    expect(() => closure(graph, ['nope'])).toThrow(/unknown to apt/);
  });

  it('keeps the upstream part of a Debian version for image tags', () => {
    expect(upstreamVersion('1.22.1-9+deb12u11')).toBe('1.22.1');
    expect(upstreamVersion('1:1.35.0-4+deb12u1+b1')).toBe('1.35.0');
    expect(upstreamVersion('2.4.71-1~deb12u1')).toBe('2.4.71');
  });
});

describe('lab builder input checks', () => {
  it('refuses an unknown image or a malformed SOURCE_DATE_EPOCH before creating anything', async () => {
    const { buildLab } = await import('../../rootfs/build.js');
    const tmp = mkdtempSync(join(tmpdir(), 'skiff-lab-bad-'));
    const saved = process.env.SOURCE_DATE_EPOCH;
    try {
      await expect(buildLab({ out: join(tmp, 'lab'), only: ['diamol/nope'] })).rejects.toMatchObject({ code: 'EUSAGE' });
      process.env.SOURCE_DATE_EPOCH = 'yesterday';
      await expect(buildLab({ out: join(tmp, 'lab') })).rejects.toMatchObject({ code: 'EUSAGE' });
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
      else process.env.SOURCE_DATE_EPOCH = saved;
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
