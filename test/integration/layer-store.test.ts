// The content-addressed layer store: once per chain id, safe across processes and crashes, diffIds
// verified — and the unpacked layers really stack as overlay lowerdirs (whiteouts, opaque dirs).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chainIds, ensureLayers, removeLayersExcept, type LayerRef } from '../../src/layers/layer-store.js';
import { resetStorePathsCache, storePaths } from '../../src/state/paths.js';
import { entry, sha256, tar } from '../helpers/tar-writer.js';
import { itWhen, needRoot, needUserns } from '../helpers/conditions.js';

const GZ = 'application/vnd.oci.image.layer.v1.tar+gzip';
const TAR = 'application/vnd.oci.image.layer.v1.tar';
const CHILD = join(process.cwd(), 'test/helpers/ensure-layers-child.ts');

let work: string;
let base: LayerRef;
let top: LayerRef;

function blob(name: string, t: Buffer, gz = true): LayerRef {
  const data = gz ? gzipSync(t) : t;
  const p = join(work, name);
  writeFileSync(p, data);
  return { digest: sha256(data), mediaType: gz ? GZ : TAR, blobPath: p, diffId: sha256(t) };
}

function freshStore(): string {
  const root = mkdtempSync(join(work, 'store-'));
  process.env.SKIFF_ROOT = root;
  resetStorePathsCache();
  return root;
}

function visibleLayers(): string[] {
  return existsSync(storePaths().layers) ? readdirSync(storePaths().layers).sort() : [];
}

function runChild(layers: LayerRef[]): Promise<{ unpacked: number; dirs: string[] }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(layers)], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}`))));
  });
}

beforeAll(() => {
  work = mkdtempSync('/tmp/skiff-layers-');
  base = blob('base.tar.gz', tar(
    entry({ name: 'etc/', type: '5', mode: 0o755 }),
    entry({ name: 'etc/passwd', data: 'root:x:0:0::/root:/bin/sh\n' }),
    entry({ name: 'etc/group', data: 'root:x:0:\n' }),
    entry({ name: 'var/lib/a', data: 'a' }),
    entry({ name: 'var/lib/b', data: 'b' }),
    entry({ name: 'usr/bin/sh', data: '#!', mode: 0o755 }),
    entry({ name: 'bin', type: '2', linkname: 'usr/bin' }),
  ));
  top = blob('top.tar.gz', tar(
    entry({ name: 'etc/.wh.group' }),
    entry({ name: 'var/lib/.wh..wh..opq' }),
    entry({ name: 'var/lib/c', data: 'c' }),
  ));
});
afterAll(() => {
  delete process.env.SKIFF_ROOT;
  resetStorePathsCache();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  freshStore();
});

describe('layer store', () => {
  it('chain ids follow the OCI image spec', () => {
    const [a, b] = chainIds([base.diffId, top.diffId]);
    expect(a).toBe(base.diffId);
    expect(b).toBe(sha256(Buffer.from(`${base.diffId} ${top.diffId}`)));
  });

  it('unpacks each layer once; a second call does not touch the blobs', async () => {
    const first = await ensureLayers([base, top]);
    expect(first.dirs.map((d) => existsSync(join(d, 'etc')))).toEqual([true, true]);
    expect(readFileSync(join(first.dirs[1]!, 'var/lib/c'), 'utf8')).toBe('c');
    const ino = statSync(first.dirs[0]!).ino;
    const gone = [base, top].map((l) => ({ ...l, blobPath: join(work, 'no-such-blob') })); // would fail if read
    const second = await ensureLayers(gone);
    expect(second).toEqual(first);
    expect(statSync(second.dirs[0]!).ino).toBe(ino);
  });

  it('two processes at once: every layer is unpacked exactly once', async () => {
    const [a, b] = await Promise.all([runChild([base, top]), runChild([base, top])]);
    expect(a.unpacked + b.unpacked).toBe(2);
    expect(a.dirs).toEqual(b.dirs);
    expect(visibleLayers().filter((n) => n.startsWith('.'))).toEqual([]);
  }, 60_000);

  it('a diffId mismatch is refused (EDIGEST) and leaves nothing', async () => {
    const lying = { ...top, diffId: base.diffId };
    await expect(ensureLayers([base, lying])).rejects.toMatchObject({ code: 'EDIGEST' });
    expect(visibleLayers()).toEqual([chainIds([base.diffId])[0]!.slice(7)]);
  });

  it('a malicious layer is refused (ELAYER) and leaves nothing', async () => {
    const evil = blob('evil.tar.gz', tar(entry({ name: '../../escape', data: 'x' })));
    await expect(ensureLayers([evil])).rejects.toMatchObject({ code: 'ELAYER' });
    expect(visibleLayers()).toEqual([]);
  });

  it('kill -9 in the middle leaves no visible layer; the next call cleans up and succeeds', async () => {
    const bigFiles = Array.from({ length: 24 }, (_, i) => entry({ name: `big/${i}`, data: Buffer.alloc(4 << 20, i) }));
    const big = blob('big.tar', tar(...bigFiles), false);
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify([big])], { env: process.env, stdio: 'ignore' });
    const exited = new Promise((r) => child.on('close', r));
    const deadline = Date.now() + 30_000;
    const unpacking = (): boolean => visibleLayers().some((n) => n.startsWith('.tmp-'));
    while (!unpacking() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(unpacking()).toBe(true); // killed mid-unpack, not before or after
    child.kill('SIGKILL');
    await exited;
    await new Promise((r) => setTimeout(r, 200)); // its GNU tar sees EOF and exits
    const hex = chainIds([big.diffId])[0]!.slice(7);
    expect(visibleLayers()).not.toContain(hex);
    const r = await ensureLayers([big]);
    expect(readdirSync(join(r.dirs[0]!, 'big'))).toHaveLength(24);
    expect(visibleLayers()).toEqual([hex]);
  }, 60_000);

  it('removeLayersExcept deletes the rest and reports freed bytes', async () => {
    const r = await ensureLayers([base, top]);
    const freed = await removeLayersExcept(new Set([r.chainIds[0]!]));
    expect(freed).toBe(1); // top's only file content: "c"
    expect(visibleLayers()).toEqual([r.chainIds[0]!.slice(7)]);
    expect(await removeLayersExcept(new Set())).toBeGreaterThan(0);
    expect(visibleLayers()).toEqual([]);
  });
});

describe('when GNU tar itself fails', () => {
  itWhen([needRoot], 'a full disk surfaces as ELAYER with tar\'s reason, and nothing is left', async () => {
    const small = join(work, 'small-fs');
    mkdirSync(small, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]);
    try {
      writeFileSync(join(work, 'fat.tar'), tar(entry({ name: 'fat', data: Buffer.alloc(4 << 20, 1) })));
      const { unpackLayer } = await import('../../src/layers/unpack.js');
      // A limit above the free space, so that tar itself meets the full disk.
      const err = await unpackLayer(join(work, 'fat.tar'), TAR, join(small, 'dest'), { limit: { bytes: 1 << 30, why: 'test' } }).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'ELAYER' });
      expect((err as Error).message).toMatch(/GNU tar failed .*fat: Wrote only/); // tar's own words for ENOSPC
      expect(readdirSync(small)).toEqual([]);
      // By default the free space is the limit: refused before tar writes a byte.
      const early = await unpackLayer(join(work, 'fat.tar'), TAR, join(small, 'dest')).then(() => undefined, (e: unknown) => e);
      expect((early as Error).message).toMatch(/expands beyond .* over the free space of the store's filesystem/);
      expect(readdirSync(small)).toEqual([]);
    } finally {
      execFileSync('umount', [small]);
    }
  });
});

describe('unpacked layers stack as overlay lowerdirs (userxattr)', () => {
  function expectMergedView(mnt: string, ls: (p: string) => string[], read: (p: string) => string, link: (p: string) => string): void {
    expect(ls(join(mnt, 'etc'))).toEqual(['passwd']); // group whited out
    expect(ls(join(mnt, 'var/lib'))).toEqual(['c']); // opaque: a and b hidden
    expect(read(join(mnt, 'etc/passwd'))).toContain('root');
    expect(link(join(mnt, 'bin'))).toBe('usr/bin');
  }

  itWhen([needRoot], 'as root', async () => {
    const { dirs } = await ensureLayers([base, top]);
    const mnt = join(work, 'mnt-root');
    mkdirSync(mnt, { recursive: true });
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `userxattr,lowerdir=${dirs[1]}:${dirs[0]}`, mnt]);
    try {
      expectMergedView(mnt, (p) => readdirSync(p).sort(), (p) => readFileSync(p, 'utf8'), (p) => readlinkSync(p));
      expect(lstatSync(join(mnt, 'usr/bin/sh')).mode & 0o777).toBe(0o755);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  itWhen([needRoot, needUserns], 'inside unshare --user --map-root-user --mount', async () => {
    const { dirs } = await ensureLayers([base, top]);
    const mnt = join(work, 'mnt-userns');
    mkdirSync(mnt, { recursive: true });
    const script = `mount -t overlay overlay -o userxattr,lowerdir=${dirs[1]}:${dirs[0]} ${mnt} && ls ${mnt}/etc && echo -- && ls ${mnt}/var/lib && echo -- && cat ${mnt}/etc/passwd && echo -- && readlink ${mnt}/bin`;
    const r = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const [etc, lib, passwd, bin] = r.stdout.split('--\n').map((s) => s.trim());
    expect(etc).toBe('passwd');
    expect(lib).toBe('c');
    expect(passwd).toContain('root');
    expect(bin).toBe('usr/bin');
  });
});
