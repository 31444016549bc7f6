// Pull from a loopback docker-registry: skiff vs `skopeo copy` to an OCI dir, same image, medians of 3
// (after one uncounted warm-up round).
//   npx tsx bench/pull-unpack.ts [--mb 90]
// Three timings per round, each into a fresh store / directory:
//   skiff pull (CLI)     : end to end as a user runs it — manifest, blobs verified by digest+size, layers unpacked
//   skiff fetch (in-proc): the download part alone (same code path as pull, no unpack, no Node start-up)
//   skopeo copy          : docker://… → oci:dir (download + verify, no unpack)
// Ratios are skopeo_time / skiff_time: ≥ 0.8 means skiff is at most 1.25× slower (the target).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startRegistry, skopeoCopy, umociImage } from '../test/helpers/registry.js';

const mbArg = process.argv.indexOf('--mb');
const totalMb = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 90;
const SKIFF = resolve('bin/skiff');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function layerFiles(seed: number, mb: number): Record<string, string> {
  // half text (compresses like source trees), half random (like binaries): ~1-64 KiB files
  const files: Record<string, string> = {};
  let bytes = 0;
  let i = 0;
  while (bytes < mb * 1e6) {
    const size = 1024 * (1 + ((i * 7919 + seed) % 64));
    const body = i % 2 ? randomBytes(size / 2).toString('hex') : `line ${i} of layer ${seed}: the quick brown fox\n`.repeat(Math.ceil(size / 40)).slice(0, size);
    files[`data/l${seed}/d${i % 50}/f${i}.txt`] = body;
    bytes += body.length;
    i++;
  }
  return files;
}

async function main(): Promise<void> {
  const work = mkdtempSync('/tmp/skiff-bench-pull-');
  const reg = await startRegistry();
  try {
    const layout = join(work, 'layout');
    const per = totalMb / 3;
    umociImage(layout, 'latest', [layerFiles(1, per), layerFiles(2, per), layerFiles(3, per)]);
    await skopeoCopy(`oci:${layout}:latest`, `docker://${reg.host}/bench/img:latest`);
    const ref = `${reg.host}/bench/img:latest`;
    const t = { skiffPull: [] as number[], skiffFetch: [] as number[], skopeo: [] as number[] };
    // round 0 warms caches for every contender (page cache, registry, in-process module loading) and is not counted
    for (let round = 0; round < 4; round++) {
      const root = join(work, `store-${round}`);
      mkdirSync(root);
      let t0 = performance.now();
      const r = spawnSync(SKIFF, ['pull', '-q', ref], { env: { ...process.env, SKIFF_ROOT: root }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`skiff pull failed: ${r.stderr}`);
      if (round > 0) t.skiffPull.push(performance.now() - t0);
      rmSync(root, { recursive: true, force: true });

      const root2 = join(work, `fetch-${round}`);
      process.env.SKIFF_ROOT = root2;
      const { resetStorePathsCache } = await import('../src/state/paths.js');
      resetStorePathsCache();
      const { RegistryClient } = await import('../src/image/registry/client.js');
      const { RegistrySource } = await import('../src/image/registry-source.js');
      const { fetchBlob } = await import('../src/image/pull.js');
      const { parseManifest } = await import('../src/image/manifest.js');
      t0 = performance.now();
      const src = new RegistrySource(new RegistryClient(reg.host), 'bench/img');
      const m = await src.getManifest('latest');
      const man = parseManifest(m.bytes, m.mediaType);
      await Promise.all([man.config, ...man.layers].map((d) => fetchBlob(src, d)));
      if (round > 0) t.skiffFetch.push(performance.now() - t0);
      rmSync(root2, { recursive: true, force: true });

      const dir = join(work, `oci-${round}`);
      t0 = performance.now();
      await skopeoCopy(`docker://${ref}`, `oci:${dir}:latest`);
      if (round > 0) t.skopeo.push(performance.now() - t0);
      rmSync(dir, { recursive: true, force: true });
    }
    const size = Number(execFileSync('du', ['-sb', join(reg.dir, 'data')], { encoding: 'utf8' }).split('\t')[0]);
    const med = { skiffPull: median(t.skiffPull), skiffFetch: median(t.skiffFetch), skopeo: median(t.skopeo) };
    const report = [
      `image: 3 layers, ~${totalMb} MB uncompressed, ${(size / 1e6).toFixed(1)} MB in the registry`,
      `skiff pull (CLI, incl. unpack)  median ${med.skiffPull.toFixed(0)} ms   runs ${t.skiffPull.map((x) => x.toFixed(0)).join(' ')}`,
      `skiff fetch (download+verify)   median ${med.skiffFetch.toFixed(0)} ms   runs ${t.skiffFetch.map((x) => x.toFixed(0)).join(' ')}`,
      `skopeo copy → oci dir           median ${med.skopeo.toFixed(0)} ms   runs ${t.skopeo.map((x) => x.toFixed(0)).join(' ')}`,
      `ratio skopeo/skiff-fetch = ${(med.skopeo / med.skiffFetch).toFixed(2)}×   (target ≥ 0.8×)`,
      `ratio skopeo/skiff-pull  = ${(med.skopeo / med.skiffPull).toFixed(2)}×   (skiff also unpacks every layer)`,
    ].join('\n');
    console.log(report);
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/pull-unpack.txt', `${new Date().toISOString()}\n${report}\n`);
  } finally {
    await reg.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
