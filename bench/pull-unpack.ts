// Pull from a loopback docker-registry (started by this bench, inside the bench's own network
// namespace): skiff beside skopeo and podman, same image, interleaved rounds, medians.
//   npm run bench pull-unpack            (SKIFF_BENCH_ROUNDS=5, --mb 90: 3 layers, ~25 MB in the registry)
// Each round, every contender starts from an empty store / directory:
//   skiff fetch (in-proc): download + verify (digest and size) of config and layers — what skopeo copy does
//   skopeo copy          : docker://… → oci:dir (download + verify, no unpack)
//   skiff pull (CLI)     : end to end as a user runs it — manifest, blobs verified, layers unpacked, image recorded
//   podman pull          : the same into a fresh containers-storage root (overlay), layers applied
// Speed ratios are peer time / skiff time: ≥ 1.0 means skiff is at least as fast.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startRegistry, skopeoCopy, umociImage } from '../test/helpers/registry.js';
import { assertPrivateNetns, median, pause, SETTLE_MS, summaryRow } from './lib.js';

const mbArg = process.argv.indexOf('--mb');
const totalMb = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 90;
const ROUNDS = Number(process.env.SKIFF_BENCH_ROUNDS ?? 5);
const SKIFF = resolve('bin/skiff');

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

/** Wall ms and CPU ms (user+sys of the command and its children, from bash's `time`). */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ms: number; cpu: number } {
  pause(SETTLE_MS); // as between a user's commands; the same pause before every contender
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="%U %S"; time "$@" >/dev/null', 'bash', cmd, ...args], { env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.slice(0, 400)}`);
  const [u, s] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { ms, cpu: (u! + s!) * 1000 };
}

async function main(): Promise<void> {
  assertPrivateNetns();
  const work = mkdtempSync('/tmp/skiff-bench-pull-');
  const reg = await startRegistry();
  try {
    const layout = join(work, 'layout');
    const per = totalMb / 3;
    umociImage(layout, 'latest', [layerFiles(1, per), layerFiles(2, per), layerFiles(3, per)]);
    await skopeoCopy(`oci:${layout}:latest`, `docker://${reg.host}/bench/img:latest`);
    const ref = `${reg.host}/bench/img:latest`;
    const names = ['skiff fetch', 'skopeo copy', 'skiff pull', 'podman pull'] as const;
    const wall: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    const cpu: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    const { resetStorePathsCache } = await import('../src/state/paths.js');
    const { RegistryClient } = await import('../src/image/registry/client.js');
    const { RegistrySource } = await import('../src/image/registry-source.js');
    const { fetchBlob } = await import('../src/image/pull.js');
    const { parseManifest } = await import('../src/image/manifest.js');
    // round 0 warms caches for every contender (page cache, registry, in-process module loading) and is not counted
    for (let round = 0; round <= ROUNDS; round++) {
      const keep = (name: string, r: { ms: number; cpu: number }): void => {
        if (round === 0) return;
        wall[name]!.push(r.ms);
        cpu[name]!.push(r.cpu);
      };
      // the order rotates each round so no contender always follows the same neighbour
      const order = [0, 1, 2, 3].map((i) => (i + round) % 4);
      for (const c of order) {
        const dir = join(work, `${c}-${round}`);
        mkdirSync(dir);
        if (c === 0) {
          process.env.SKIFF_ROOT = dir;
          resetStorePathsCache();
          pause(SETTLE_MS);
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          const src = new RegistrySource(new RegistryClient(reg.host), 'bench/img');
          const m = await src.getManifest('latest');
          const man = parseManifest(m.bytes, m.mediaType);
          await Promise.all([man.config, ...man.layers].map((d) => fetchBlob(src, d)));
          const ms = performance.now() - t0;
          const u = process.cpuUsage(c0);
          keep('skiff fetch', { ms, cpu: (u.user + u.system) / 1000 });
        } else if (c === 1) {
          keep('skopeo copy', timed('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${join(dir, 'oci')}:latest`]));
        } else if (c === 2) {
          keep('skiff pull', timed(SKIFF, ['pull', '-q', ref], { ...process.env, SKIFF_ROOT: dir }));
        } else {
          keep('podman pull', timed('podman', ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'overlay', 'pull', '-q', '--tls-verify=false', ref]));
        }
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const size = Number(execFileSync('du', ['-sb', join(reg.dir, 'data')], { encoding: 'utf8' }).split('\t')[0]);
    const med = (n: string): number => median(wall[n]!);
    // `skiff pull` goes through the front door: its work runs in the resident worker, not in a child
    // bash can time, so its CPU is not measured here (skiff fetch's is: it runs in this process).
    const cpuOf = (n: string): string => (n === 'skiff pull' ? '  n/a' : median(cpu[n]!).toFixed(0).padStart(5));
    const line = (n: string): string => `${n.padEnd(12)} median ${med(n).toFixed(0).padStart(6)} ms   cpu ${cpuOf(n)} ms   runs ${wall[n]!.map((x) => x.toFixed(0)).join(' ')}`;
    const fetchSpeed = med('skopeo copy') / med('skiff fetch');
    const pullSpeed = med('podman pull') / med('skiff pull');
    const report = [
      `image: 3 layers, ~${totalMb} MB uncompressed, ${(size / 1e6).toFixed(1)} MB in the registry; ${ROUNDS} interleaved rounds`,
      ...names.map(line),
      `download + verify: skopeo/skiff = ${fetchSpeed.toFixed(2)}× (cpu ${(median(cpu['skopeo copy']!) / median(cpu['skiff fetch']!)).toFixed(2)}×)   target ≥ 1.0×`,
      `end to end, unpacked: podman/skiff = ${pullSpeed.toFixed(2)}×   target ≥ 1.0×`,
      `(skiff fetch runs inside this process: no CLI start; skopeo's time includes its process start)`,
    ].join('\n');
    console.log(report);
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/pull-unpack.txt', `${new Date().toISOString()}\n${report}\n`);
    const mb = `${(size / 1e6).toFixed(0)} MB / 3 layers`;
    summaryRow(`pull ${mb}, download + verify (speed: peer/skiff)`, `${med('skiff fetch').toFixed(0)} ms`, `skopeo copy ${med('skopeo copy').toFixed(0)} ms`, `${fetchSpeed.toFixed(2)}×`, '≥ 1.0×', fetchSpeed >= 1);
    summaryRow(`pull ${mb}, end to end, unpacked (speed: peer/skiff)`, `${med('skiff pull').toFixed(0)} ms`, `podman pull ${med('podman pull').toFixed(0)} ms`, `${pullSpeed.toFixed(2)}×`, '≥ 1.0×', pullSpeed >= 1);
  } finally {
    await reg.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
