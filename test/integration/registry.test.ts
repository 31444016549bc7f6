// Pull, run-ready ensureImage, push, faults and concurrency against a real docker-registry on
// loopback, seeded by umoci + skopeo (never by skiff).
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { itWhen, needCommand } from '../helpers/conditions.js';
import { skiff, tempStore, SKIFF, type Store } from '../helpers/skiff.js';
import { startRegistry, skopeoCopy, skopeoDigest, umociImage, type Registry } from '../helpers/registry.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { skiffAsync } from '../helpers/skiff-async.js';

const needs = [needCommand('docker-registry'), needCommand('skopeo'), needCommand('umoci')];
const haveTools = needs.every((c) => c() === undefined);

let reg: Registry;
let proxy: FaultProxy;
let seed: string;
const stores: Store[] = [];
function store(): Store {
  const s = tempStore('skiff-img-');
  stores.push(s);
  return s;
}
const blobs = (s: Store) => (existsSync(join(s.root, 'blobs/sha256')) ? readdirSync(join(s.root, 'blobs/sha256')) : []);
const tmpEntries = (s: Store) => (existsSync(join(s.root, 'tmp')) ? readdirSync(join(s.root, 'tmp')) : []);
function blobsValid(s: Store): boolean {
  return blobs(s).every((h) => createHash('sha256').update(readFileSync(join(s.root, 'blobs/sha256', h))).digest('hex') === h);
}

describe('registry: pull, push, faults', () => {
  beforeAll(async () => {
    if (!haveTools) return;
    reg = await startRegistry();
    proxy = await startFaultProxy(reg.port);
    seed = mkdtempSync('/tmp/skiff-seed-');
    umociImage(join(seed, 'hello'), 'latest', [{ 'etc/hello.txt': 'hello from layer one\n' }, { 'usr/share/big.bin': 'x'.repeat(300_000) + Math.random() }], { cmd: '/bin/hello' });
    await skopeoCopy(`oci:${join(seed, 'hello')}:latest`, `docker://${reg.host}/test/hello:latest`);
  });
  afterAll(async () => {
    await proxy?.close();
    await reg?.stop();
    if (seed) rmSync(seed, { recursive: true, force: true });
    for (const s of stores) s.dispose();
  });

  itWhen(needs, 'pulls an image seeded by skopeo, with Docker\'s lines and the registry\'s digest', () => {
    const s = store();
    const r = skiff(['pull', `${reg.host}/test/hello`], { env: s.env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const digest = skopeoDigest(`docker://${reg.host}/test/hello:latest`);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('Using default tag: latest');
    expect(lines[1]).toBe('latest: Pulling from test/hello');
    expect(lines.filter((l) => /^[a-f0-9]{12}: Pull complete$/.test(l))).toHaveLength(2);
    expect(lines).toContain(`Digest: ${digest}`);
    expect(lines).toContain(`Status: Downloaded newer image for ${reg.host}/test/hello:latest`);
    expect(lines.at(-1)).toBe(`${reg.host}/test/hello:latest`);
    expect(blobsValid(s)).toBe(true);
    expect(tmpEntries(s)).toEqual([]);
    const again = skiff(['pull', `${reg.host}/test/hello:latest`], { env: s.env });
    expect(again.stdout).toContain(`Status: Image is up to date for ${reg.host}/test/hello:latest`);
    expect(again.stdout.match(/Already exists/g)).toHaveLength(2);
    const ls = skiff(['images'], { env: s.env });
    expect(ls.stdout).toMatch(new RegExp(`^REPOSITORY\\s+TAG\\s+IMAGE ID\\s+CREATED\\s+SIZE\\n${reg.host}/test/hello\\s+latest\\s+[a-f0-9]{12}\\s+`, 'm'));
  });

  itWhen(needs, 'ensureImage (what run calls) pulls when missing and returns unpacked layer dirs', async () => {
    const s = store();
    process.env.SKIFF_ROOT = s.root;
    const { resetStorePathsCache } = await import('../../src/state/paths.js');
    resetStorePathsCache();
    const { ensureImage } = await import('../../src/image/ensure.js');
    const lines: string[] = [];
    try {
      const img = await ensureImage(`${reg.host}/test/hello`, { pull: 'missing', out: (l) => lines.push(l) });
      expect(lines[0]).toBe(`Unable to find image '${reg.host}/test/hello:latest' locally`);
      expect(lines[1]).toBe('latest: Pulling from test/hello');
      expect(lines.at(-1)).toBe(`Status: Downloaded newer image for ${reg.host}/test/hello:latest`);
      expect(img.id).toMatch(/^sha256:[a-f0-9]{64}$/);
      expect(img.ref).toBe(`${reg.host}/test/hello:latest`);
      expect(img.config.config?.Cmd).toEqual(['/bin/hello']);
      expect(img.layerDirs).toHaveLength(2);
      expect(readFileSync(join(img.layerDirs[0]!, 'etc/hello.txt'), 'utf8')).toBe('hello from layer one\n');
      expect(existsSync(join(img.layerDirs[1]!, 'usr/share/big.bin'))).toBe(true);
      const quiet: string[] = [];
      const again = await ensureImage(`${reg.host}/test/hello:latest`, { pull: 'missing', out: (l) => quiet.push(l) });
      expect(quiet).toEqual([]);
      expect(again.layerDirs).toEqual(img.layerDirs);
      await expect(ensureImage(`${reg.host}/test/nothing-here`, { pull: 'missing', out: () => {} })).rejects.toMatchObject({ code: 'ENOIMAGE' });
      await expect(ensureImage('127.0.0.1:1/x/y', { pull: 'never', out: () => {} })).rejects.toMatchObject({ code: 'ENOIMAGE' });
    } finally {
      delete process.env.SKIFF_ROOT;
      resetStorePathsCache();
    }
  });

  itWhen(needs, 'pushes back; skopeo pulls the pushed image with the same digest', async () => {
    const s = store();
    expect(skiff(['pull', `${reg.host}/test/hello`], { env: s.env }).status).toBe(0);
    expect(skiff(['tag', `${reg.host}/test/hello`, `${reg.host}/test/pushed:v1`], { env: s.env }).status).toBe(0);
    const p = skiff(['push', `${reg.host}/test/pushed:v1`], { env: s.env });
    expect(p.stderr).toBe('');
    expect(p.stdout).toContain(`The push refers to repository [${reg.host}/test/pushed]`);
    const m = /^v1: digest: (sha256:[a-f0-9]{64}) size: \d+$/m.exec(p.stdout);
    expect(m).not.toBeNull();
    const inspect = JSON.parse(skiff(['image', 'inspect', `${reg.host}/test/pushed:v1`], { env: s.env }).stdout)[0];
    expect(inspect.Descriptor.digest).toBe(m![1]);
    expect(skopeoDigest(`docker://${reg.host}/test/pushed:v1`)).toBe(m![1]);
    const out = mkdtempSync('/tmp/skiff-skopeo-');
    try {
      await skopeoCopy(`docker://${reg.host}/test/pushed:v1`, `oci:${out}:v1`);
      const idx = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
      expect(idx.manifests[0].digest).toBe(m![1]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    const second = skiff(['push', `${reg.host}/test/pushed:v1`], { env: s.env });
    expect(second.stdout.match(/Layer already exists/g)).toHaveLength(2);
  });

  itWhen(needs, 'two concurrent pulls of one image: one copy of each blob, no corruption', async () => {
    const s = store();
    const run = () =>
      new Promise<number>((resolve) => {
        const c = spawn(SKIFF, ['pull', '-q', `${reg.host}/test/hello`], { env: { ...process.env, ...s.env }, stdio: 'ignore' });
        c.on('exit', (code) => resolve(code ?? 1));
      });
    const codes = await Promise.all([run(), run()]);
    expect(codes).toEqual([0, 0]);
    expect(blobsValid(s)).toBe(true);
    expect(blobs(s)).toHaveLength(4); // two layers, config, manifest
    expect(tmpEntries(s)).toEqual([]);
    expect(skiff(['images', '-q'], { env: s.env }).stdout.trim().split('\n')).toHaveLength(1);
  });

  itWhen(needs, 'unknown tag and unknown registry: one clear line, exit 1', () => {
    const s = store();
    const r = skiff(['pull', `${reg.host}/test/hello:nope`], { env: s.env });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^skiff: manifest for test\/hello:nope not found on 127\.0\.0\.1:\d+\. check the name/);
    const bad = skiff(['pull', 'Not/Valid'], { env: s.env });
    expect(bad.stderr).toMatch(/invalid reference format/);
    expect(blobs(s)).toEqual([]);
  });

  describe('faults through a proxy', async () => {
    const layerPath = /\/v2\/test\/hello\/blobs\/sha256:/;
    itWhen(needs, 'a blob cut short once is retried and the pull succeeds', async () => {
      const s = store();
      proxy.rules = [{ method: 'GET', path: layerPath, fault: { kind: 'truncate', times: 1 } }];
      const r = await skiffAsync(['pull', `${proxy.host}/test/hello`], { env: { ...s.env, SKIFF_RETRY_BASE_MS: '10' } });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(blobsValid(s)).toBe(true);
      expect(tmpEntries(s)).toEqual([]);
    });
    itWhen(needs, 'a blob always cut short fails clearly and stores nothing bad', async () => {
      const s = store();
      proxy.rules = [{ method: 'GET', path: layerPath, fault: { kind: 'truncate', times: 100 } }];
      const r = await skiffAsync(['pull', `${proxy.host}/test/hello`], { env: { ...s.env, SKIFF_RETRY_BASE_MS: '10' } });
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/truncated|failed/);
      expect(blobsValid(s)).toBe(true);
      expect(blobs(s)).toHaveLength(0);
      expect(tmpEntries(s)).toEqual([]);
    });
    itWhen(needs, 'a blob with the wrong content is refused (EDIGEST), nothing stored', async () => {
      const s = store();
      proxy.rules = [{ method: 'GET', path: layerPath, fault: { kind: 'corrupt', times: 100 } }];
      const r = await skiffAsync(['pull', `${proxy.host}/test/hello`], { env: s.env });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/does not match its digest/);
      expect(blobs(s)).toHaveLength(0);
      expect(tmpEntries(s)).toEqual([]);
    });
    itWhen(needs, 'one corrupt layer while the other downloads and unpacks beside it: EDIGEST, no partial layer, nothing unverified kept', async () => {
      const s = store();
      const res = await fetch(`http://${reg.host}/v2/test/hello/manifests/latest`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
      const layers = ((await res.json()) as { layers: Array<{ digest: string }> }).layers.map((l) => l.digest);
      expect(layers).toHaveLength(2);
      // only the upper (bigger) layer is corrupted: the lower one downloads and unpacks in parallel
      proxy.rules = [{ method: 'GET', path: new RegExp(`/blobs/${layers[1]}$`), fault: { kind: 'corrupt', times: 100 } }];
      const r = await skiffAsync(['pull', `${proxy.host}/test/hello`], { env: s.env });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/does not match its digest/);
      expect(blobs(s)).not.toContain(layers[1]!.slice(7));
      expect(blobsValid(s)).toBe(true);
      expect(tmpEntries(s)).toEqual([]);
      const layerRoot = join(s.root, 'layers');
      const made = existsSync(layerRoot) ? readdirSync(layerRoot) : [];
      expect(made.filter((n) => n.startsWith('.'))).toEqual([]); // no .tmp-* / .trash-* half-made layer
      for (const n of made) expect(existsSync(join(layerRoot, n, 'layer.json'))).toBe(true); // what is there is whole
      expect(skiff(['images', '-q'], { env: s.env }).stdout.trim()).toBe('');
    });
    itWhen(needs, '500 twice then success: retried with backoff (manifest and blob)', async () => {
      const s = store();
      proxy.rules = [
        { method: 'GET', path: /\/manifests\//, fault: { kind: 'status', status: 500, times: 2 } },
        { method: 'GET', path: layerPath, fault: { kind: 'status', status: 503, times: 2 } },
      ];
      const r = await skiffAsync(['pull', `${proxy.host}/test/hello`], { env: { ...s.env, SKIFF_RETRY_BASE_MS: '10' } });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
    itWhen(needs, 'a manifest list with only another platform: clear error; --platform picks it', async () => {
      const s = store();
      const digest = skopeoDigest(`docker://${reg.host}/test/hello:latest`);
      const size = Number(skiff(['pull', '-q', `${reg.host}/test/hello`], { env: s.env }).status === 0 ? JSON.parse(skiff(['image', 'inspect', `${reg.host}/test/hello`], { env: s.env }).stdout)[0].Descriptor.size : 0);
      const index = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size, platform: { os: 'linux', architecture: 'arm64' } }] });
      const s2 = store();
      proxy.rules = [{ method: 'GET', path: /\/manifests\/latest$/, fault: { kind: 'replace', contentType: 'application/vnd.oci.image.index.v1+json', body: index, times: 2 } }];
      const r = await skiffAsync(['pull', `${proxy.host}/test/hello`], { env: s2.env });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/no matching manifest for linux\/amd64 .*available: linux\/arm64/);
      expect(blobs(s2)).toHaveLength(0);
      const ok = await skiffAsync(['pull', '--platform', 'linux/arm64', `${proxy.host}/test/hello`], { env: s2.env });
      expect(ok.stderr).toBe('');
      expect(ok.stdout).toContain(`Digest: sha256:${createHash('sha256').update(index).digest('hex')}`);
    });
  });

  itWhen(needs, 'rmi refuses an image a container uses; -f untags only; prune then frees exactly its blobs', () => {
    const s = store();
    expect(skiff(['pull', '-q', `${reg.host}/test/hello`], { env: s.env }).status).toBe(0);
    const id = JSON.parse(skiff(['image', 'inspect', `${reg.host}/test/hello`], { env: s.env }).stdout)[0].Id as string;
    const cdir = join(s.root, 'containers', 'c0ffee'.padEnd(64, '0'));
    mkdirSync(cdir, { recursive: true });
    writeFileSync(join(cdir, 'config.json'), JSON.stringify({ Image: id }));
    const r = skiff(['rmi', `${reg.host}/test/hello`], { env: s.env });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/container c0ffee000000 is using its referenced image/);
    const f = skiff(['rmi', '-f', `${reg.host}/test/hello`], { env: s.env });
    expect(f.stdout).toContain(`Untagged: ${reg.host}/test/hello:latest`);
    expect(f.stdout).not.toContain('Deleted:');
    expect(blobs(s)).toHaveLength(4);
    rmSync(cdir, { recursive: true });
    const p = skiff(['image', 'prune', '-f'], { env: s.env });
    expect(p.stdout).toContain(`deleted: ${id}`);
    expect(blobs(s)).toEqual([]);
    expect(readdirSync(join(s.root, 'layers')).filter((n) => !n.startsWith('.'))).toEqual([]);
  });
});
