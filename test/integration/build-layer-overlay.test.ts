// layer-from-dir on a real overlay upper dir: the layer GNU tar unpacks must be the upper tree with
// overlay's whiteouts turned into OCI's, and turning them back (as the unpacker does) must give the
// same merged view. Mounts overlay as root, inside the suite's private mount namespace.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, symlinkSync, linkSync, chmodSync, chownSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { itWhen, needRoot, needCommand } from '../helpers/conditions.js';
import { layerFromDir } from '../../src/image/build/layer-from-dir.js';
import { getXattr, listXattrs } from '../../src/kernel/xattr-read.js';
import { call, T } from '../../src/kernel/libc.js';

function setXattr(path: string, name: string, value: string): void {
  const buf = Buffer.from(value);
  call({ fn: 'lsetxattr', types: [T.String, T.String, T.U8Array, T.I64, T.I32], args: [path, name, buf, buf.length, 0], what: `lsetxattr ${path}` });
}

interface Node { type: string; mode: number; uid: number; gid: number; size: number; mtime: number; content?: string; link?: string; xattrs: string }

/** Everything about a tree that a layer must carry, keyed by relative path. */
function snapshot(root: string, skip: (rel: string) => boolean = () => false): Map<string, Node> {
  const out = new Map<string, Node>();
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      if (skip(r)) continue;
      const st = lstatSync(p);
      const type = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'link' : st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? `char ${st.rdev}` : 'other';
      const xattrs = st.isSymbolicLink() ? '' : listXattrs(p).filter((a) => !/overlay/.test(a)).sort().map((a) => `${a}=${getXattr(p, a)!.toString('hex')}`).join(',');
      out.set(r, {
        type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: st.isFile() ? st.size : 0,
        mtime: st.isDirectory() ? 0 : Math.floor(st.mtimeMs / 1000), xattrs,
        ...(st.isFile() ? { content: createHash('sha256').update(readFileSync(p)).digest('hex') } : {}),
        ...(st.isSymbolicLink() ? { link: readlinkSync(p) } : {}),
      });
      if (st.isDirectory()) walk(p, r);
    }
  };
  walk(root, '');
  return out;
}

describe.each([
  { variant: 'userxattr (user.overlay.*)', option: ',userxattr', opaqueKey: 'user.overlay.opaque' },
  { variant: 'root (trusted.overlay.*)', option: '', opaqueKey: 'trusted.overlay.opaque' },
])('layer from an overlay upper dir: $variant', ({ option, opaqueKey }) => {
  let base: string;
  const d = (n: string) => join(base, n);
  const mount = (upper: string, work: string) => execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${d('lower')},upperdir=${upper},workdir=${work}${option}`, d('merged')]);

  beforeAll(() => {
    if (process.getuid?.() !== 0) return;
    base = mkdtempSync('/tmp/skiff-layer-overlay-');
    for (const n of ['lower/dir1', 'lower/dir2', 'upper', 'work', 'merged', 'out', 'upper2', 'work2']) mkdirSync(d(n), { recursive: true });
    writeFileSync(d('lower/a.txt'), 'a');
    writeFileSync(d('lower/keep.txt'), 'keep');
    writeFileSync(d('lower/dir1/x'), 'x');
    writeFileSync(d('lower/dir1/y'), 'y');
    writeFileSync(d('lower/dir2/p'), 'p');
  });
  afterAll(() => {
    if (!base) return;
    execFileSync('sh', ['-c', `umount ${d('merged')} 2>/dev/null; true`]);
    rmSync(base, { recursive: true, force: true });
  });

  itWhen([needRoot, needCommand('mknod')], 'whiteouts, opaque dirs, hardlinks, symlinks, modes, owners, xattrs survive GNU tar', async () => {
    mount(d('upper'), d('work'));
    const m = (n: string) => join(d('merged'), n);
    unlinkSync(m('a.txt')); // → whiteout
    rmSync(m('dir1'), { recursive: true }); // → opaque dir once recreated
    mkdirSync(m('dir1'));
    writeFileSync(m('dir1/z'), 'z');
    mkdirSync(m('new/deep'), { recursive: true });
    writeFileSync(m('new/deep/tool'), '#!/bin/sh\n');
    chownSync(m('new/deep/tool'), 1000, 1001); // chown first: it clears the setuid bit
    chmodSync(m('new/deep/tool'), 0o4755);
    writeFileSync(m('new/h1'), 'hard');
    linkSync(m('new/h1'), m('new/h2'));
    symlinkSync('/etc/os-release', m('new/abs-link'));
    symlinkSync('../keep.txt', m('new/rel-link'));
    execFileSync('mkfifo', [m('new/fifo')]);
    writeFileSync(m('new/tagged'), 't');
    setXattr(m('new/tagged'), 'user.skiff.test', 'value');
    writeFileSync(m('dir2/p'), 'changed'); // copy-up of a lower file
    const mergedBefore = snapshot(d('merged'));
    execFileSync('umount', [d('merged')]);

    expect(lstatSync(d('upper/a.txt')).isCharacterDevice()).toBe(true);
    expect(getXattr(d('upper/dir1'), opaqueKey)?.toString()).toBe('y');

    const layer = join(base, 'layer.tgz');
    const blob = await layerFromDir(d('upper'), layer);
    expect(blob.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const tarBytes = gunzipSync(readFileSync(layer));
    expect(tarBytes.includes(Buffer.from('overlay.'))).toBe(false); // overlay bookkeeping never leaks
    const list = execFileSync('tar', ['-tvzf', layer, '--numeric-owner'], { encoding: 'utf8' });
    expect(list).toMatch(/^-rw------- 0\/0 +0 .* \.wh\.a\.txt$/m);
    expect(list).toMatch(/ dir1\/\.wh\.\.wh\.\.opq$/m);
    expect(list).toMatch(/ new\/h2 link to new\/h1$/m);
    expect(list).toMatch(/ new\/abs-link -> \/etc\/os-release$/m);

    execFileSync('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-xpzf', layer, '-C', d('out')]);
    const expected = snapshot(d('upper'), (r) => r === 'a.txt');
    const got = snapshot(d('out'), (r) => r === '.wh.a.txt' || r === 'dir1/.wh..wh..opq');
    expect(expected.get('new/tagged')!.xattrs).toBe(`user.skiff.test=${Buffer.from('value').toString('hex')}`);
    expect(expected.get('new/deep/tool')).toMatchObject({ mode: 0o4755, uid: 1000, gid: 1001 });
    expect([...got.keys()]).toEqual([...expected.keys()]);
    for (const [k, v] of expected) expect({ k, ...got.get(k) }).toEqual({ k, ...v });
    expect(lstatSync(d('out/new/h1')).ino).toBe(lstatSync(d('out/new/h2')).ino);

    // Back again, as the unpacker does: .wh.X → char 0/0, .wh..wh..opq → opaque xattr; same merged view.
    execFileSync('cp', ['-a', `${d('out')}/.`, d('upper2')]);
    unlinkSync(join(d('upper2'), '.wh.a.txt'));
    execFileSync('mknod', [join(d('upper2'), 'a.txt'), 'c', '0', '0']);
    unlinkSync(join(d('upper2'), 'dir1/.wh..wh..opq'));
    setXattr(join(d('upper2'), 'dir1'), opaqueKey, 'y');
    mount(d('upper2'), d('work2'));
    try {
      const mergedAfter = snapshot(d('merged'));
      expect([...mergedAfter.keys()]).toEqual([...mergedBefore.keys()]);
      for (const [k, v] of mergedBefore) {
        if (v.type === 'dir') continue; // directory mtimes differ between the two uppers
        expect({ k, ...mergedAfter.get(k) }).toEqual({ k, ...v });
      }
      expect(mergedAfter.has('a.txt')).toBe(false);
      expect([...mergedAfter.keys()].filter((k) => k.startsWith('dir1/'))).toEqual(['dir1/z']);
    } finally {
      execFileSync('umount', [d('merged')]);
    }
  });

  itWhen([needRoot], 'the same upper dir gives the same layer bytes', async () => {
    const a = await layerFromDir(d('upper'), join(base, 'again1.tgz'));
    const b = await layerFromDir(d('upper'), join(base, 'again2.tgz'));
    expect(a).toEqual(b);
  });
});

