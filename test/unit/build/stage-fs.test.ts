// COPY --from's merged view of layer dirs (what overlayfs would show) and how a stream is told apart
// as a context tar or a Dockerfile (`skiff build -`, POST /build).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StageFs, stageCopyEntries } from '../../../src/image/build/stage-fs.js';
import { sniffContext } from '../../../src/engine/build-input.js';

let base: string;
let lower: string;
let upper: string;
beforeAll(() => {
  base = mkdtempSync('/tmp/skiff-stagefs-');
  lower = join(base, 'lower');
  upper = join(base, 'upper');
  mkdirSync(join(lower, 'app/lib'), { recursive: true });
  writeFileSync(join(lower, 'app/lib/a.so'), 'a');
  writeFileSync(join(lower, 'app/old'), 'old');
  mkdirSync(join(lower, 'etc'));
  writeFileSync(join(lower, 'etc/conf'), 'lower conf');
  mkdirSync(join(lower, 'gone'));
  writeFileSync(join(lower, 'gone/x'), 'x');
  mkdirSync(join(upper, 'app'), { recursive: true });
  writeFileSync(join(upper, 'app/new'), 'new');
  writeFileSync(join(upper, 'etc'), 'a file hides the lower directory');
  symlinkSync('/app/lib', join(upper, 'lib'));
  symlinkSync('../../../..', join(upper, 'app/up'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('StageFs', () => {
  it('merges directories top-down; a file in an upper layer hides a lower directory', () => {
    const fs = new StageFs([lower, upper]);
    expect(fs.list('app')).toEqual(['lib', 'new', 'old', 'up']);
    expect(fs.lookup('etc')!.st.isFile()).toBe(true);
    expect(fs.lookup('etc/conf')).toBeUndefined();
    expect(fs.lookup('app/lib/a.so')!.path).toBe(join(lower, 'app/lib/a.so'));
  });
  it('follows symlinks inside the root only', () => {
    const fs = new StageFs([lower, upper]);
    expect(fs.resolve('/lib/a.so')).toBe('app/lib/a.so');
    expect(fs.resolve('/app/up/app/new')).toBe('app/new'); // ../../../.. stops at the root
    expect(fs.resolve('/nope')).toBeUndefined();
  });
  it('an opaque directory hides what the lower layers had in it', () => {
    const opq = join(base, 'opq');
    mkdirSync(join(opq, 'gone'), { recursive: true });
    // python3's os.setxattr marks it as the layer store does (docs/unpack.md)
    execFileSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], "user.overlay.opaque", b"y")', join(opq, 'gone')]);
    expect(new StageFs([lower, opq]).list('gone')).toEqual([]);
    expect(new StageFs([lower]).list('gone')).toEqual(['x']);
  });
  it('copy entries: a directory copies its contents, owners 0:0 or --chown, parents made', () => {
    const fs = new StageFs([lower, upper]);
    const e = stageCopyEntries(fs, ['/app/lib'], '/opt/lib/', '/', { uid: 0, gid: 0 }, 'build stage b');
    expect(e.map((x) => x.name)).toEqual(['opt/', 'opt/lib/', 'opt/lib/a.so']);
    const one = stageCopyEntries(fs, ['/app/n*'], 'dst/', '/w', { uid: 7, gid: 8 }, 'build stage b');
    expect(one.map((x) => [x.name, x.uid, x.gid])).toEqual([['w/', 7, 8], ['w/dst/', 7, 8], ['w/dst/new', 7, 8]]);
    expect(() => stageCopyEntries(fs, ['/etc/conf'], '/x', '/', { uid: 0, gid: 0 }, 'build stage b')).toThrow(/file does not exist in build stage b/);
  });
});

describe('sniffContext', () => {
  it('knows a tar by its header checksum and compressed streams by their magic', () => {
    const dir = join(base, 'tar');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
    expect(sniffContext(execFileSync('tar', ['-cf', '-', '-C', dir, 'Dockerfile']))).toBe('tar');
    expect(sniffContext(execFileSync('tar', ['-czf', '-', '-C', dir, 'Dockerfile']))).toBe('gzip');
    expect(sniffContext(Buffer.from('FROM scratch\n'))).toBe('text');
    expect(sniffContext(Buffer.alloc(600, 0x41))).toBe('text');
    expect(sniffContext(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1]))).toBe('xz');
  });
});
