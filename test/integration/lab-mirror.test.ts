// The offline lab mirror: docker.io references are "pulled" from OCI layouts on disk (here one made
// by umoci under a private SKIFF_LAB_DIR) with exactly the chapter's lines; `lab load` is idempotent.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { mkdtempSync, rmSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needCommand } from '../helpers/conditions.js';
import { skiff, tempStore, type Store } from '../helpers/skiff.js';
import { umociImage } from '../helpers/registry.js';

const needs = [needCommand('umoci')];
let lab: string;
let s: Store;

describe('lab mirror', () => {
  beforeAll(() => {
    if (needs.some((c) => c())) return;
    lab = mkdtempSync('/tmp/skiff-lab-');
    mkdirSync(join(lab, 'docker.io', 'diamol'), { recursive: true });
    umociImage(join(lab, 'docker.io/diamol/base'), 'latest', [{ 'etc/base.txt': 'base\n' }], { cmd: '/bin/sh' });
    umociImage(join(lab, 'docker.io/diamol/ch02-hello-diamol'), 'latest', [{ 'hello.sh': 'echo hi\n' }], { cmd: '/hello.sh', from: join(lab, 'docker.io/diamol/base') });
    s = tempStore('skiff-labm-');
  });
  afterAll(() => {
    if (lab) rmSync(lab, { recursive: true, force: true });
    s?.dispose();
  });

  itWhen(needs, 'pull of a docker.io name comes from the lab with Docker\'s lines; a shared layer "Already exists"', async () => {
    const env = { ...s.env, SKIFF_LAB_DIR: lab };
    process.env.SKIFF_ROOT = s.root;
    process.env.SKIFF_LAB_DIR = lab;
    const { resetStorePathsCache } = await import('../../src/state/paths.js');
    resetStorePathsCache();
    try {
      const { ensureImage } = await import('../../src/image/ensure.js');
      const lines: string[] = [];
      await ensureImage('diamol/base', { pull: 'missing', out: (l) => lines.push(l) });
      const hello: string[] = [];
      const img = await ensureImage('diamol/ch02-hello-diamol', { pull: 'missing', out: (l) => hello.push(l) });
      expect(hello[0]).toBe("Unable to find image 'diamol/ch02-hello-diamol:latest' locally");
      expect(hello[1]).toBe('latest: Pulling from diamol/ch02-hello-diamol');
      expect(hello[2]).toMatch(/^[a-f0-9]{12}: Already exists$/);
      expect(hello[3]).toMatch(/^[a-f0-9]{12}: Pull complete$/);
      expect(hello[4]).toMatch(/^Digest: sha256:[a-f0-9]{64}$/);
      expect(hello[5]).toBe('Status: Downloaded newer image for diamol/ch02-hello-diamol:latest');
      expect(hello).toHaveLength(6);
      expect(img.ref).toBe('diamol/ch02-hello-diamol:latest');
      expect(img.config.config?.Cmd).toEqual(['/hello.sh']);
      await expect(ensureImage('diamol/not-in-the-lab', { pull: 'missing', out: () => {} })).rejects.toMatchObject({ code: 'ENOIMAGE', message: "Unable to find image 'diamol/not-in-the-lab:latest' locally, and no registry has it" });
    } finally {
      delete process.env.SKIFF_ROOT;
      delete process.env.SKIFF_LAB_DIR;
      resetStorePathsCache();
    }
    const load = skiff(['lab', 'load'], { env });
    expect(load.stdout.trim().split('\n').sort()).toEqual(['Image is up to date: diamol/base:latest', 'Image is up to date: diamol/ch02-hello-diamol:latest']);
    const fresh = tempStore('skiff-labm2-');
    try {
      const first = skiff(['lab', 'load'], { env: { ...fresh.env, SKIFF_LAB_DIR: lab } });
      expect(first.stdout.trim().split('\n').sort()).toEqual(['Loaded image: diamol/base:latest', 'Loaded image: diamol/ch02-hello-diamol:latest']);
      expect(skiff(['images', '-q'], { env: fresh.env }).stdout.trim().split('\n')).toHaveLength(2);
      // the two images share their base layer: removing hello frees exactly its own layer and blobs
      const layersBefore = readdirSync(join(fresh.root, 'layers')).filter((n) => !n.startsWith('.'));
      expect(layersBefore).toHaveLength(2);
      const rm = skiff(['rmi', 'diamol/ch02-hello-diamol'], { env: fresh.env });
      expect(rm.stdout.split('\n').filter((l) => l.startsWith('Deleted: '))).toHaveLength(2); // image + its own layer
      const layersAfter = readdirSync(join(fresh.root, 'layers')).filter((n) => !n.startsWith('.'));
      expect(layersAfter).toHaveLength(1);
      expect(readdirSync(join(fresh.root, 'blobs/sha256'))).toHaveLength(3); // base: manifest, config, layer
      expect(readFileSync(join(fresh.root, 'layers', layersAfter[0]!, 'diff/etc/base.txt'), 'utf8')).toBe('base\n');
    } finally {
      fresh.dispose();
    }
  });
});
