// A layer bomb (a few MB of gzip that unpack to GBs, or millions of empty entries) is stopped before
// it reaches the disk, with a one-line error naming the limit, and nothing of it is left behind.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unpackLayer } from '../../src/layers/unpack.js';
import { LayerTooLarge, TarGate } from '../../src/layers/tar-gate.js';
import { configuredLimit, DEFAULT_MAX_LAYER_BYTES, entryCost, layerLimit } from '../../src/layers/limits.js';
import { parseBinarySize } from '../../src/format/size.js';
import { entry, tar } from '../helpers/tar-writer.js';

const GZ = 'application/vnd.oci.image.layer.v1.tar+gzip';
const MiB = 1024 * 1024;

let base: string;
beforeEach(() => {
  base = mkdtempSync('/tmp/skiff-limits-');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe('layer expansion limit', () => {
  it('a 24 MiB file of zeros in a tiny gzip layer is refused at an 8 MiB limit, and nothing is left', async () => {
    const src = join(base, 'l.tar');
    writeFileSync(src, tar(entry({ name: 'ok', data: 'small' }), entry({ name: 'bomb', data: Buffer.alloc(24 * MiB) })));
    execFileSync('gzip', ['-1', src]);
    expect(statSync(`${src}.gz`).size).toBeLessThan(MiB); // the bomb: under 1 MiB on the wire
    const out = join(base, 'out');
    const err = await unpackLayer(`${src}.gz`, GZ, out, { limit: { bytes: 8 * MiB, why: 'SKIFF_MAX_LAYER_SIZE=8m' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ELAYER', exitCode: 125 });
    expect((err as Error).message).toMatch(/expands beyond 8MiB \(at "bomb"\), over SKIFF_MAX_LAYER_SIZE=8m/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(base)).toEqual(['l.tar.gz']);
  });

  it('the same layer unpacks under a limit it fits in', async () => {
    const src = join(base, 'l.tar');
    writeFileSync(src, tar(entry({ name: 'f', data: Buffer.alloc(2 * MiB) })));
    execFileSync('gzip', [src]);
    const r = await unpackLayer(`${src}.gz`, GZ, join(base, 'out'), { limit: { bytes: 4 * MiB, why: 'test' } });
    expect(r.bytes).toBe(2 * MiB);
  });

  it('empty entries cost a block each: a flood of inodes hits the limit too, before tar sees the entry', () => {
    const gate = new TarGate({ keepXattr: () => true, warn: () => {}, maxBytes: 10 * 4096, limitWhy: 'test' });
    const entries = Array.from({ length: 11 }, (_, i) => entry({ name: `e${i}` }));
    expect(() => gate.feed(tar(...entries))).toThrow(LayerTooLarge);
    expect(gate.tree.kindOf('e9')).toBe('file');
    expect(gate.tree.kindOf('e10')).toBeUndefined();
    expect(entryCost(0)).toBe(4096);
    expect(entryCost(4097)).toBe(8192);
  });

  it('SKIFF_MAX_LAYER_SIZE sets the cap; malformed values are a usage error; the default is 20 GiB', () => {
    expect(configuredLimit({}).bytes).toBe(DEFAULT_MAX_LAYER_BYTES);
    expect(configuredLimit({ SKIFF_MAX_LAYER_SIZE: '512m' }).bytes).toBe(512 * MiB);
    expect(configuredLimit({ SKIFF_MAX_LAYER_SIZE: '2GiB' }).bytes).toBe(2 * 1024 * MiB);
    expect(() => configuredLimit({ SKIFF_MAX_LAYER_SIZE: 'lots' })).toThrow(/invalid SKIFF_MAX_LAYER_SIZE "lots"/);
    expect(() => configuredLimit({ SKIFF_MAX_LAYER_SIZE: '0' })).toThrow(/invalid SKIFF_MAX_LAYER_SIZE/);
    expect(parseBinarySize('1.5k')).toBe(1536);
    expect(parseBinarySize('12x')).toBeUndefined();
  });

  it('never more than the filesystem has free (keeping 5 % of it)', () => {
    const huge = layerLimit(base, { SKIFF_MAX_LAYER_SIZE: '1p' });
    expect(huge.bytes).toBeLessThan(1024 ** 5);
    expect(huge.why).toMatch(/free space/);
  });
});
