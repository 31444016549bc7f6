// What a correct layer unpack keeps: exact modes (no umask), setuid/setgid/sticky, mtimes of files and
// directories, absolute symlink targets verbatim, hardlinks, FIFOs, xattrs, long names (pax and GNU),
// whiteouts as 0/0 char devices and opaque dirs as user.overlay.opaque=y — plus owners, devices and
// security.capability as root. Inputs come from GNU tar itself (what real builders produce) and from
// the raw writer (what only crafted layers contain).
import { execFileSync } from 'node:child_process';
import {
  chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unpackLayer } from '../../src/layers/unpack.js';
import { TarGate } from '../../src/layers/tar-gate.js';
import { call, T } from '../../src/kernel/libc.js';
import { entry, gnuLong, pax, sha256, tar } from '../helpers/tar-writer.js';
import { itWhen, needCommand, needRoot } from '../helpers/conditions.js';

const TAR = 'application/vnd.oci.image.layer.v1.tar';
const GZ = 'application/vnd.oci.image.layer.v1.tar+gzip';
const ZST = 'application/vnd.oci.image.layer.v1.tar+zstd';

function getXattr(path: string, name: string): Buffer | undefined {
  const buf = Buffer.alloc(1024);
  try {
    const n = call({ fn: 'lgetxattr', ret: T.I64, types: [T.String, T.String, T.U8Array, T.I64], args: [path, name, buf, buf.length] });
    return Buffer.from(buf.subarray(0, n));
  } catch {
    return undefined;
  }
}
function setXattr(path: string, name: string, value: Buffer): void {
  call({ fn: 'lsetxattr', types: [T.String, T.String, T.U8Array, T.I64, T.I32], args: [path, name, value, value.length, 0] });
}

let base: string;
beforeEach(() => {
  base = mkdtempSync('/tmp/skiff-unpack-ok-');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const LONG_DIR = `long/${'a'.repeat(120)}/${'b'.repeat(120)}`;
const T2001 = new Date('2001-02-03T04:05:06Z');
const T2002 = new Date('2002-02-03T04:05:06Z');

/** A small tree with every feature a real image layer has, packed by GNU tar in the given format. */
function buildTree(format: 'posix' | 'gnu'): { blob: string; src: string } {
  const src = join(base, 'src');
  mkdirSync(join(src, 'd'), { recursive: true });
  writeFileSync(join(src, 'd/f'), 'hello\n');
  chmodSync(join(src, 'd/f'), 0o640);
  setXattr(join(src, 'd/f'), 'user.skiff', Buffer.from([0, 1, 2, 0xff]));
  linkSync(join(src, 'd/f'), join(src, 'd/hl'));
  writeFileSync(join(src, 'suid'), '#!/bin/sh\n');
  chmodSync(join(src, 'suid'), 0o4755);
  mkdirSync(join(src, 'sticky'));
  chmodSync(join(src, 'sticky'), 0o1777);
  symlinkSync('/etc/alternatives/awk', join(src, 'abs'));
  symlinkSync('../x/y', join(src, 'd/rel'));
  execFileSync('mkfifo', [join(src, 'fifo')]);
  mkdirSync(join(src, LONG_DIR), { recursive: true });
  writeFileSync(join(src, LONG_DIR, 'c'.repeat(200)), 'long');
  utimesSync(join(src, 'd/f'), T2002, T2002);
  chmodSync(join(src, 'd'), 0o2750);
  utimesSync(join(src, 'd'), T2001, T2001);
  const blob = join(base, `layer-${format}.tar`);
  execFileSync('tar', ['-cf', blob, `--format=${format}`, '--xattrs', '--xattrs-include=*', '-C', src, '.']);
  return { blob, src };
}

function expectSameTree(src: string, out: string): void {
  const walk = (rel: string): void => {
    const a = lstatSync(join(src, rel));
    const b = lstatSync(join(out, rel));
    expect({ rel, mode: b.mode.toString(8), size: b.size }).toEqual({ rel, mode: a.mode.toString(8), size: a.isDirectory() ? b.size : a.size });
    if (!a.isSymbolicLink()) expect({ rel, mtime: Math.floor(b.mtimeMs / 1000) }).toEqual({ rel, mtime: Math.floor(a.mtimeMs / 1000) });
    if (a.isSymbolicLink()) expect(readlinkSync(join(out, rel))).toBe(readlinkSync(join(src, rel)));
    if (a.isDirectory()) for (const n of readdirSync(join(src, rel))) walk(join(rel, n));
  };
  walk('.');
}

describe('unpackLayer keeps what images need', () => {
  for (const format of ['posix', 'gnu'] as const) {
    it(`a GNU tar (${format} format) tree comes back identical, umask notwithstanding`, async () => {
      const { blob, src } = buildTree(format);
      const out = join(base, 'out');
      const old = process.umask(0o077);
      let r;
      try {
        r = await unpackLayer(blob, TAR, out, { owners: 'squash' });
      } finally {
        process.umask(old);
      }
      expect(r.diffId).toBe(sha256(readFileSync(blob)));
      expect(r.bytes).toBe(6 + 10 + 4); // d/f (its hardlink d/hl carries no data), suid, the long-named file
      expectSameTree(src, out);
      expect(statSync(join(out, 'd/hl')).ino).toBe(statSync(join(out, 'd/f')).ino);
      expect(readlinkSync(join(out, 'abs'))).toBe('/etc/alternatives/awk');
      expect(lstatSync(join(out, 'fifo')).isFIFO()).toBe(true);
      expect(lstatSync(join(out, 'suid')).mode & 0o7777).toBe(0o4755);
      expect(lstatSync(join(out, 'd')).mode & 0o7777).toBe(0o2750);
      expect(getXattr(join(out, 'd/f'), 'user.skiff')).toEqual(Buffer.from([0, 1, 2, 0xff]));
      expect(readFileSync(join(out, LONG_DIR, 'c'.repeat(200)), 'utf8')).toBe('long');
    });
  }

  it('whiteouts become 0/0 char devices and opaque markers user.overlay.opaque=y', async () => {
    const blob = join(base, 'l.tar');
    writeFileSync(blob, tar(
      entry({ name: 'etc/', type: '5', mode: 0o755, mtime: 1_000_000_000 }),
      entry({ name: 'etc/.wh.passwd' }),
      entry({ name: '.wh.top' }),
      entry({ name: 'var/.wh..wh..opq' }),
      entry({ name: 'var/new', data: 'n' }),
      entry({ name: 'var/.wh..wh.plnk' }), // AUFS bookkeeping: ignored
    ));
    const out = join(base, 'out');
    const r = await unpackLayer(blob, TAR, out);
    const wh = lstatSync(join(out, 'etc/passwd'));
    expect(wh.isCharacterDevice()).toBe(true);
    expect(wh.rdev).toBe(0);
    expect(lstatSync(join(out, 'top')).isCharacterDevice()).toBe(true);
    expect(getXattr(join(out, 'var'), 'user.overlay.opaque')?.toString()).toBe('y');
    expect(getXattr(join(out, 'etc'), 'user.overlay.opaque')).toBeUndefined();
    expect(readdirSync(join(out, 'var'))).toEqual(['new']);
    expect(readdirSync(join(out, 'etc'))).toEqual(['passwd']);
    expect(Math.floor(lstatSync(join(out, 'etc')).mtimeMs / 1000)).toBe(1_000_000_000); // set after the whiteout was made
    expect(r.entries).toBe(6);
  });

  it('neutralises: hardlink to a symlink becomes that symlink; layer xattrs in overlay namespace are dropped', async () => {
    const blob = join(base, 'l.tar');
    writeFileSync(blob, tar(
      entry({ name: 's', type: '2', linkname: '/etc/passwd' }),
      entry({ name: 'h', type: '1', linkname: 's' }),
      pax([['SCHILY.xattr.user.overlay.opaque', 'y'], ['SCHILY.xattr.user.ok', 'v']]),
      entry({ name: 'd/', type: '5', mode: 0o755 }),
    ));
    const out = join(base, 'out');
    await unpackLayer(blob, TAR, out);
    expect(readlinkSync(join(out, 'h'))).toBe('/etc/passwd');
    expect(getXattr(join(out, 'd'), 'user.overlay.opaque')).toBeUndefined();
    expect(getXattr(join(out, 'd'), 'user.ok')?.toString()).toBe('v');
  });

  it('duplicates (last wins), a ./ root entry, GNU long names, a GNU header with junk where ustar has its prefix, trailing garbage', async () => {
    const blob = join(base, 'l.tar');
    const gnuHeaderWithAtime = entry({ name: 'g', data: 'g', magic: 'gnu', prefix: '12345670123\u0000' });
    const bytes = Buffer.concat([
      tar(
        entry({ name: './', type: '5', mode: 0o755 }),
        entry({ name: 'dup', data: 'one' }),
        entry({ name: 'dup', data: 'two' }),
        gnuLong('L', `x/${'y'.repeat(150)}`),
        entry({ name: 'ignored-short-name', data: 'L', magic: 'gnu' }),
        gnuHeaderWithAtime,
      ),
      Buffer.alloc(4096, 0x42), // after the end marker: hashed, never unpacked
    ]);
    writeFileSync(blob, bytes);
    const out = join(base, 'out');
    const r = await unpackLayer(blob, TAR, out);
    expect(r.diffId).toBe(sha256(bytes));
    expect(readFileSync(join(out, 'dup'), 'utf8')).toBe('two');
    expect(readFileSync(join(out, 'x', 'y'.repeat(150)), 'utf8')).toBe('L');
    expect(readFileSync(join(out, 'g'), 'utf8')).toBe('g');
    expect(readdirSync(out).sort()).toEqual(['dup', 'g', 'x']);
  });

  it('gzip layers: same tree, diffId of the uncompressed tar', async () => {
    const { blob } = buildTree('posix');
    execFileSync('gzip', ['-k', blob]);
    const r = await unpackLayer(`${blob}.gz`, GZ, join(base, 'out'));
    expect(r.diffId).toBe(sha256(readFileSync(blob)));
    expect(readFileSync(join(base, 'out/d/f'), 'utf8')).toBe('hello\n');
  });

  itWhen([needCommand('zstd')], 'zstd layers: same tree, diffId of the uncompressed tar', async () => {
    const { blob } = buildTree('posix');
    execFileSync('zstd', ['-q', blob]);
    const r = await unpackLayer(`${blob}.zst`, ZST, join(base, 'out'));
    expect(r.diffId).toBe(sha256(readFileSync(blob)));
    expect(readFileSync(join(base, 'out/d/f'), 'utf8')).toBe('hello\n');
  });

  it('a corrupt gzip layer is refused and nothing is left', async () => {
    const { blob } = buildTree('posix');
    execFileSync('gzip', ['-k', blob]);
    const gz = readFileSync(`${blob}.gz`);
    writeFileSync(`${blob}.gz`, gz.subarray(0, gz.length >> 1));
    await expect(unpackLayer(`${blob}.gz`, GZ, join(base, 'out'))).rejects.toMatchObject({ code: 'ELAYER' });
    expect(readdirSync(base).includes('out')).toBe(false);
  });

  it('device nodes are skipped with a warning; 0/0 (whiteout-like) devices stay', () => {
    const warnings: string[] = [];
    const gate = new TarGate({ keepXattr: () => true, warn: (m) => warnings.push(m) });
    gate.feed(tar(entry({ name: 'dev/null', type: '3', devmajor: 1, devminor: 3 }), entry({ name: 'dev/sda', type: '4', devmajor: 8 }), entry({ name: 'wh', type: '3' })));
    expect(warnings).toHaveLength(2);
    expect(gate.tree.kindOf('dev/null')).toBeUndefined();
    expect(gate.tree.kindOf('wh')).toBe('other');
  });
});

describe('as root', () => {
  itWhen([needRoot], 'owners keep: numeric uid/gid restored, setuid survives the chown', async () => {
    const blob = join(base, 'l.tar');
    writeFileSync(blob, tar(entry({ name: 'f', data: 'x', uid: 1234, gid: 5678, mode: 0o4755 }), entry({ name: 'd/', type: '5', uid: 4321, gid: 8765, mode: 0o700 })));
    await unpackLayer(blob, TAR, join(base, 'out'), { owners: 'keep' });
    const f = lstatSync(join(base, 'out/f'));
    expect([f.uid, f.gid, f.mode & 0o7777]).toEqual([1234, 5678, 0o4755]);
    const d = lstatSync(join(base, 'out/d'));
    expect([d.uid, d.gid]).toEqual([4321, 8765]);
    await unpackLayer(blob, TAR, join(base, 'squashed'), { owners: 'squash' });
    expect(lstatSync(join(base, 'squashed/f')).uid).toBe(0);
  });

  itWhen([needRoot], 'device nodes are dropped even as root (nothing on the host to open), security.capability kept', async () => {
    const cap = Buffer.alloc(20); // vfs_cap_data v2: CAP_NET_BIND_SERVICE permitted+effective
    cap.writeUInt32LE(0x02000001, 0);
    cap.writeUInt32LE(1 << 10, 4);
    const blob = join(base, 'l.tar');
    writeFileSync(blob, tar(
      entry({ name: 'dev/null', type: '3', devmajor: 1, devminor: 3, mode: 0o666 }),
      entry({ name: 'dev/loopx', type: '4', devmajor: 7, devminor: 200, mode: 0o660 }),
      pax([['SCHILY.xattr.security.capability', cap]]),
      entry({ name: 'ping', data: 'x', mode: 0o755 }),
    ));
    await unpackLayer(blob, TAR, join(base, 'out'));
    expect(readdirSync(join(base, 'out'))).toEqual(['ping']);
    expect(getXattr(join(base, 'out/ping'), 'security.capability')).toEqual(cap);
  });
});

describe('directories a layer implies without listing', () => {
  it('are 0755 (not 0777 & ~umask), the root too; a later explicit entry still wins; opaque-only dirs exist', async () => {
    const blob = join(base, 'l.tar');
    writeFileSync(blob, tar(
      entry({ name: 'etc/ssl/certs/ca.pem', data: 'x' }),
      entry({ name: 'etc/ssl/', type: '5', mode: 0o750 }),
      entry({ name: 'opt/only/.wh..wh..opq' }),
    ));
    const out = join(base, 'out');
    const old = process.umask(0o077);
    try {
      await unpackLayer(blob, TAR, out, { owners: 'squash' });
    } finally {
      process.umask(old);
    }
    const mode = (p: string): number => lstatSync(join(out, p)).mode & 0o7777;
    expect([mode('.'), mode('etc'), mode('etc/ssl'), mode('etc/ssl/certs'), mode('opt/only')]).toEqual([0o755, 0o755, 0o750, 0o755, 0o755]);
    expect(getXattr(join(out, 'opt/only'), 'user.overlay.opaque')?.toString()).toBe('y');
  });
});
