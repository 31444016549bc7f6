// The malicious-tar corpus: every case must be refused with ELAYER, leave the canary outside the
// target untouched, create nothing outside, and leave no target directory behind. A second block
// feeds the same corpus straight to GNU tar (no gate) to show tar's own refusals are a real second wall.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unpackLayer } from '../../src/layers/unpack.js';
import { END, entry, gnuLong, header, pax, tar } from '../helpers/tar-writer.js';

const TAR = 'application/vnd.oci.image.layer.v1.tar';

let base: string;
let dest: string;
beforeEach(() => {
  base = mkdtempSync('/tmp/skiff-corpus-');
  writeFileSync(join(base, 'canary'), 'canary');
  mkdirSync(join(base, 'outside'));
  dest = join(base, 'dest');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** Each case gets the absolute base so absolute-path escapes aim at this test's own directory. */
const CASES: Array<[string, (b: string) => Buffer]> = [
  ['dot-dot file', () => tar(entry({ name: '../canary', data: 'pwned' }))],
  ['dot-dot in the middle', () => tar(entry({ name: 'a/../../canary', data: 'pwned' }))],
  ['absolute path', (b) => tar(entry({ name: `${b}/outside/pwned`, data: 'pwned' }))],
  ['symlink to .. then write through it', () => tar(entry({ name: 'l', type: '2', linkname: '..' }), entry({ name: 'l/canary', data: 'pwned' }))],
  ['absolute symlink then write through it', (b) => tar(entry({ name: 'l', type: '2', linkname: `${b}/outside` }), entry({ name: 'l/pwned', data: 'pwned' }))],
  ['symlink to / then write a full path through it', (b) => tar(entry({ name: 'l', type: '2', linkname: '/' }), entry({ name: `l${b}/outside/pwned`, data: 'pwned' }))],
  ['symlink then directory through it', (b) => tar(entry({ name: 'l', type: '2', linkname: `${b}/outside` }), entry({ name: 'l/sub/', type: '5', mode: 0o755 }))],
  ['hardlink to ../canary', () => tar(entry({ name: 'h', type: '1', linkname: '../canary' }))],
  ['hardlink to an absolute path', (b) => tar(entry({ name: 'h', type: '1', linkname: `${b}/canary` }))],
  ['hardlink to a path this layer lacks', () => tar(entry({ name: 'h', type: '1', linkname: 'etc/shadow' }))],
  ['hardlink to a symlink pointing out, then write it', (b) => tar(entry({ name: 's', type: '2', linkname: `${b}/canary` }), entry({ name: 'h', type: '1', linkname: 's' }), entry({ name: 'h', data: 'pwned' }))],
  ['whiteout outside (../.wh.canary)', () => tar(entry({ name: '../.wh.canary' }))],
  ['whiteout through a symlink', () => tar(entry({ name: 'l', type: '2', linkname: '..' }), entry({ name: 'l/.wh.canary' }))],
  ['opaque marker through a symlink', (b) => tar(entry({ name: 'l', type: '2', linkname: `${b}/outside` }), entry({ name: 'l/.wh..wh..opq' }))],
  ['pax path override to ..', () => tar(pax([['path', '../canary']]), entry({ name: 'innocent', data: 'pwned' }))],
  ['pax path absolute', (b) => tar(pax([['path', `${b}/outside/pwned`]]), entry({ name: 'innocent', data: 'pwned' }))],
  ['pax path with a NUL byte', () => tar(pax([['path', 'ok\0/../../canary']]), entry({ name: 'innocent', data: 'pwned' }))],
  ['pax linkpath of a hardlink out', () => tar(pax([['linkpath', '../canary']]), entry({ name: 'h', type: '1', linkname: 'x' }))],
  ['GNU long name with ..', () => tar(gnuLong('L', 'a/'.repeat(60) + '../'.repeat(62) + 'canary'), entry({ name: 'short', data: 'pwned', magic: 'gnu' }))],
  ['GNU long link of a hardlink out', () => tar(gnuLong('K', '../'.repeat(40) + 'canary'), entry({ name: 'h', type: '1', linkname: 'x', magic: 'gnu' }))],
  ['ustar prefix field with ..', () => tar(entry({ name: 'canary', prefix: '..', data: 'pwned' }))],
  ['global pax header setting path', () => tar(pax([['path', '../canary']], 'g'), entry({ name: 'innocent', data: 'pwned' }))],
  ['two pax headers for one entry', () => tar(pax([['path', 'fine']]), pax([['path', '../canary']]), entry({ name: 'x', data: 'pwned' }))],
  ['bad header checksum', () => tar(entry({ name: 'x', data: 'x', badChecksum: true }))],
  ['garbage instead of a header', () => Buffer.concat([Buffer.alloc(512, 0x41), END])],
  ['huge size, truncated stream', () => Buffer.concat([header({ name: 'big', size: 0o77777777770 }), Buffer.alloc(4096)])],
  ['negative base-256 size', () => tar(entry({ name: 'neg', rawSize: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]) }))],
  ['truncated in the middle of a file', () => Buffer.concat([header({ name: 'f', size: 5000 }), Buffer.alloc(1024)])],
  ['file replaced by a directory', () => tar(entry({ name: 'a', data: 'x' }), entry({ name: 'a/', type: '5', mode: 0o755 }))],
  ['directory replaced by a file', () => tar(entry({ name: 'd/', type: '5', mode: 0o755 }), entry({ name: 'd/x', data: 'x' }), entry({ name: 'd', data: 'x' }))],
  ['entry below a regular file', () => tar(entry({ name: 'f', data: 'x' }), entry({ name: 'f/x', data: 'x' }))],
  ['symlink loop then a path through it', () => tar(entry({ name: 'a', type: '2', linkname: 'b' }), entry({ name: 'b', type: '2', linkname: 'a' }), entry({ name: 'a/x', data: 'x' }))],
  ['hardlink to a directory', () => tar(entry({ name: 'd/', type: '5', mode: 0o755 }), entry({ name: 'h', type: '1', linkname: 'd' }))],
  ['GNU sparse entry', () => tar(entry({ name: 's', type: 'S', data: 'x', magic: 'gnu' }))],
  ['GNU multi-volume entry', () => tar(entry({ name: 'm', type: 'M', data: 'x', magic: 'gnu' }))],
  ['pax GNU.sparse keys', () => tar(pax([['GNU.sparse.major', '1'], ['GNU.sparse.minor', '0']]), entry({ name: 'f', data: 'x' }))],
  ['malformed pax record', () => tar(entry({ name: 'PaxHeader/x', type: 'x', data: '999 path=../canary\n' }), entry({ name: 'f', data: 'x' }))],
  ['component longer than 255 bytes', () => tar(pax([['path', 'x'.repeat(300)]]), entry({ name: 'f', data: 'x' }))],
  ['extended header bigger than 1 MiB', () => tar(entry({ name: 'PaxHeader/x', type: 'x', data: Buffer.alloc(2 << 20, 0x20) }))],
  ['pax header then end of archive', () => tar(pax([['path', 'x']]))],
];

function outsideIsUntouched(b: string): void {
  expect(readFileSync(join(b, 'canary'), 'utf8')).toBe('canary');
  expect(readdirSync(b).sort()).toEqual(['canary', 'layer.tar', 'outside']);
  expect(readdirSync(join(b, 'outside'))).toEqual([]);
}

describe('malicious layer corpus: refused, nothing written outside, nothing half-made', () => {
  it('has at least 20 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(20));
  for (const [name, make] of CASES) {
    it(name, async () => {
      writeFileSync(join(base, 'layer.tar'), make(base));
      const err = await unpackLayer(join(base, 'layer.tar'), TAR, dest).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: "ELAYER" });
      expect(existsSync(dest)).toBe(false);
      outsideIsUntouched(base);
    });
  }
  it('an existing empty target is removed on refusal too', async () => {
    mkdirSync(dest);
    writeFileSync(join(base, 'layer.tar'), CASES[0]![1](base));
    await expect(unpackLayer(join(base, 'layer.tar'), TAR, dest)).rejects.toMatchObject({ code: 'ELAYER' });
    expect(existsSync(dest)).toBe(false);
  });
  it('a non-empty target is refused and left alone', async () => {
    mkdirSync(dest);
    writeFileSync(join(dest, 'keep'), 'x');
    writeFileSync(join(base, 'layer.tar'), tar(entry({ name: 'f', data: 'x' })));
    await expect(unpackLayer(join(base, 'layer.tar'), TAR, dest)).rejects.toMatchObject({ code: 'ELAYER' });
    expect(readFileSync(join(dest, 'keep'), 'utf8')).toBe('x');
  });
  it('an unknown media type is refused', async () => {
    writeFileSync(join(base, 'layer.tar'), tar(entry({ name: 'f', data: 'x' })));
    await expect(unpackLayer(join(base, 'layer.tar'), 'application/x-evil', dest)).rejects.toMatchObject({ code: 'ELAYER' });
    expect(existsSync(dest)).toBe(false);
  });
});

// The second wall: GNU tar with skiff's options and no gate in front still writes nothing outside.
describe('second wall: GNU tar alone on the same corpus', () => {
  for (const [name, make] of CASES) {
    it(name, () => {
      writeFileSync(join(base, 'layer.tar'), make(base));
      mkdirSync(dest);
      spawnSync('tar', ['--extract', `--file=${join(base, 'layer.tar')}`, `--directory=${dest}`, '--numeric-owner', '--preserve-permissions', '--no-same-owner', '--xattrs', '--xattrs-include=*', '--delay-directory-restore'], { stdio: 'ignore' });
      rmSync(dest, { recursive: true, force: true });
      outsideIsUntouched(base);
    });
  }
});
