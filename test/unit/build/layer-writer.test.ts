// Layers written by skiff, read back by GNU tar (the reference reader) and by node-tar.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeLayer, type LayerEntry } from '../../../src/image/build/layer-writer.js';
import { encodeHeader } from '../../../src/image/build/tar-header.js';
import { copyEntries, layerFromFiles } from '../../../src/image/build/layer-from-files.js';
import { archiveEntries, isLocalArchive } from '../../../src/image/build/add-archive.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'layer-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// UTC and a UTF-8 locale: GNU tar prints times in local time and escapes non-ASCII names under the C locale.
const gnuList = (file: string) => execFileSync('tar', ['--numeric-owner', '--full-time', '-tvzf', file], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' } });

describe('writeLayer', () => {
  it('digest/diffId/size describe the gzip and the tar; GNU tar lists every kind of entry', async () => {
    const src = join(dir, 'data');
    writeFileSync(src, 'hello\n');
    const long = 'd/' + 'x'.repeat(120) + '/ünïcode-name';
    const entries: LayerEntry[] = [
      { name: 'd/', type: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1000 },
      { name: 'd/f', type: 'file', mode: 0o4755, uid: 1000, gid: 1001, size: 6, mtime: 1700000000, source: src },
      { name: 'd/l', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 0, linkname: '/abs/target' },
      { name: 'd/h', type: 'hardlink', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0, linkname: 'd/f' },
      { name: 'd/null', type: 'char', mode: 0o666, uid: 0, gid: 0, size: 0, mtime: 0, devmajor: 1, devminor: 3 },
      { name: 'd/fifo', type: 'fifo', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0 },
      { name: long, type: 'file', mode: 0o600, uid: 3000000, gid: 3000000, size: 6, mtime: 0, source: src },
    ];
    const out = join(dir, 'layer.tgz');
    const blob = await writeLayer(entries, out);
    const gz = readFileSync(out);
    expect(blob.size).toBe(gz.length);
    expect(blob.digest).toBe(`sha256:${createHash('sha256').update(gz).digest('hex')}`);
    expect(blob.diffId).toBe(`sha256:${createHash('sha256').update(gunzipSync(gz)).digest('hex')}`);
    const list = gnuList(out);
    expect(list).toMatch(/^drwxr-xr-x 0\/0\s+0 1970-01-01 00:16:40 d\/$/m);
    expect(list).toMatch(/^-rwsr-xr-x 1000\/1001\s+6 2023-11-14 22:13:20 d\/f$/m);
    expect(list).toMatch(/^lrwxrwxrwx 0\/0\s+0 .* d\/l -> \/abs\/target$/m);
    expect(list).toMatch(/^hrwxr-xr-x 0\/0\s+0 .* d\/h link to d\/f$/m);
    expect(list).toMatch(/^crw-rw-rw- 0\/0\s+1,3 .* d\/null$/m);
    expect(list).toMatch(/^prw-r--r-- 0\/0\s+0 .* d\/fifo$/m);
    expect(list).toContain(`-rw------- 3000000/3000000   6 1970-01-01 00:00:00 ${long}`);
  });

  it('the same entries give the same bytes (deterministic)', async () => {
    const src = join(dir, 'data');
    writeFileSync(src, 'x');
    const e: LayerEntry[] = [{ name: 'a', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 1, mtime: 5, source: src }];
    const a = await writeLayer(e, join(dir, 'a.tgz'));
    await new Promise((r) => setTimeout(r, 1100));
    const b = await writeLayer(e, join(dir, 'b.tgz'));
    expect(a).toEqual(b);
  });

  it('xattrs go into PAX SCHILY.xattr records that GNU tar restores', async () => {
    const h = encodeHeader({ name: 'f', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, xattrs: new Map([['user.note', Buffer.from('hi')]]) });
    expect(h.toString('latin1')).toContain('SCHILY.xattr.user.note=hi\n');
    expect(h.length).toBe(512 * 3);
  });

  it('a file that shrank while archived fails and leaves no blob; an existing file is never replaced', async () => {
    const src = join(dir, 'data');
    writeFileSync(src, 'ab');
    const out = join(dir, 'bad.tgz');
    await expect(writeLayer([{ name: 'a', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 10, mtime: 0, source: src }], out)).rejects.toThrow(/changed size/);
    expect(existsSync(out)).toBe(false);
    writeFileSync(out, 'keep');
    await expect(writeLayer([], out)).rejects.toThrow(/EEXIST/);
    expect(readFileSync(out, 'utf8')).toBe('keep');
  });
});

describe('COPY layers', () => {
  it('owners 0:0 (or --chown), created parents, modes kept or --chmod, symlinks as links', async () => {
    mkdirSync(join(dir, 'ctx/sub'), { recursive: true });
    writeFileSync(join(dir, 'ctx/run.sh'), '#!/bin/sh\n');
    chmodSync(join(dir, 'ctx/run.sh'), 0o755);
    writeFileSync(join(dir, 'ctx/sub/x'), 'x');
    utimesSync(join(dir, 'ctx/sub/x'), 1000, 1000);
    symlinkSync('x', join(dir, 'ctx/sub/lnk'));
    const items = [
      { source: join(dir, 'ctx/run.sh'), target: '/app/bin/run.sh' },
      { source: join(dir, 'ctx/sub'), target: '/app/sub' },
      { source: join(dir, 'ctx/sub/x'), target: '/app/sub/x' },
      { source: join(dir, 'ctx/sub/lnk'), target: '/app/sub/lnk' },
    ];
    const plain = await copyEntries(items);
    expect(plain.map((e) => [e.name, e.type, e.uid, e.mode.toString(8)])).toEqual([
      ['app/', 'directory', 0, '755'],
      ['app/bin/', 'directory', 0, '755'],
      ['app/bin/run.sh', 'file', 0, '755'],
      ['app/sub/', 'directory', 0, '755'],
      ['app/sub/lnk', 'symlink', 0, '777'],
      ['app/sub/x', 'file', 0, '644'],
    ]);
    const owned = await copyEntries(items, { uid: 101, gid: 102, mode: 0o700 });
    expect(owned.every((e) => e.uid === 101 && e.gid === 102)).toBe(true);
    expect(owned.find((e) => e.name === 'app/sub/x')!.mode).toBe(0o700);
    const out = join(dir, 'copy.tgz');
    await layerFromFiles(items, undefined, out);
    const x = join(dir, 'x');
    mkdirSync(x);
    execFileSync('tar', ['-xzf', out, '-C', x]);
    expect(readFileSync(join(x, 'app/sub/x'), 'utf8')).toBe('x');
    expect(readFileSync(join(x, 'app/bin/run.sh'), 'utf8')).toBe('#!/bin/sh\n');
  });
});

describe('ADD archives', () => {
  it('recognises tar and tar.gz, not other files; members land under dest, escapes dropped', async () => {
    mkdirSync(join(dir, 'src/d'), { recursive: true });
    writeFileSync(join(dir, 'src/d/f'), 'content');
    execFileSync('tar', ['-czf', join(dir, 'a.tgz'), '-C', join(dir, 'src'), 'd']);
    execFileSync('tar', ['-cf', join(dir, 'a.tar'), '-C', join(dir, 'src'), 'd']);
    writeFileSync(join(dir, 'plain.txt'), 'not an archive');
    expect(isLocalArchive(join(dir, 'a.tgz'))).toBe(true);
    expect(isLocalArchive(join(dir, 'a.tar'))).toBe(true);
    expect(isLocalArchive(join(dir, 'plain.txt'))).toBe(false);
    mkdirSync(join(dir, 'scratch'));
    const entries = await archiveEntries(join(dir, 'a.tgz'), '/opt', join(dir, 'scratch'));
    expect(entries.map((e) => e.name)).toEqual(['opt/d/', 'opt/d/f']);
    expect(readFileSync(entries[1]!.source!, 'utf8')).toBe('content');
    // An archive whose member climbs out of dest fails the step, as Docker's does.
    execFileSync('tar', ['-cPf', join(dir, 'evil.tar'), '-C', join(dir, 'src'), '--transform', 's,^d/f,../../../etc/evil,', 'd/f'], { stdio: 'ignore' });
    expect(execFileSync('tar', ['-tf', join(dir, 'evil.tar')], { encoding: 'utf8' })).toContain('../../../etc/evil');
    await expect(archiveEntries(join(dir, 'evil.tar'), '/opt', join(dir, 'scratch'))).rejects.toThrow(/archive member "..\/..\/..\/etc\/evil" is outside of "\/opt"/);
  });
});
