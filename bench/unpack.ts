// Layer unpack throughput: skiff's unpackLayer against GNU `tar -x` on the same realistic layer.
//   npx tsx bench/unpack.ts            (SKIFF_BENCH_RUNS=3, SKIFF_BENCH_NODE_DESIGN=1 to add design (a))
// The layer is a tar of /usr/lib + /usr/share capped at ~300 MB / ~30k entries, built once and cached in
// /tmp. Runs are interleaved (tar, skiff, tar, skiff …), the median of each is reported.
// Design (a) — node-tar's Parser with our own synchronous writes — is measured as a lower bound:
// the prototype below writes dirs/files/symlinks/hardlinks only, with none of the checks.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, createReadStream, existsSync, linkSync, mkdirSync, openSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { unpackLayer } from '../src/layers/unpack.js';
import { summaryRow } from './lib.js';

const CACHE = '/tmp/skiff-bench-unpack';
const LAYER = join(CACHE, 'layer.tar');
const LAYER_GZ = join(CACHE, 'layer.tar.gz');
const MAX_BYTES = 300e6;
const MAX_ENTRIES = 30_000;
// Where layers are unpacked: the disk by default; SKIFF_BENCH_OUT=/dev/shm takes the disk out of the picture.
const OUT = process.env.SKIFF_BENCH_OUT ?? CACHE;
const RUNS = Number(process.env.SKIFF_BENCH_RUNS ?? 3);

function buildLayer(): void {
  if (existsSync(LAYER) && existsSync(LAYER_GZ)) return;
  mkdirSync(CACHE, { recursive: true });
  // Interleave /usr/share (many small files) with /usr/lib (fewer, bigger ones); skip files over 1 MB
  // so the cap is reached by a realistic mix, not by a few huge libraries.
  const walk = (dir: string): string[][] =>
    execFileSync('find', [dir, '-xdev', '-printf', '%y %s %p\\n'], { cwd: '/', maxBuffer: 1 << 30 }).toString().split('\n')
      .map((l) => /^(\S) (\d+) (.+)$/.exec(l)).filter((m): m is RegExpExecArray => !!m && !(m[1] === 'f' && Number(m[2]) > 1e6)).map((m) => [m[1]!, m[2]!, m[3]!]);
  const share = walk('usr/share');
  const lib = walk('usr/lib');
  const picked: string[] = [];
  let bytes = 0;
  for (let i = 0; picked.length < MAX_ENTRIES && bytes < MAX_BYTES && (i < share.length || i < lib.length); i++) {
    for (const m of [share[i], lib[i]]) {
      if (!m) continue;
      if (m[0] === 'f') bytes += Number(m[1]);
      picked.push(m[2]!);
    }
  }
  writeFileSync(join(CACHE, 'list'), picked.join('\n') + '\n');
  execFileSync('tar', ['-cf', LAYER, '-C', '/', '--no-recursion', '--xattrs', '-T', join(CACHE, 'list')], { stdio: 'inherit' });
  execFileSync('sh', ['-c', `gzip -1 -c ${LAYER} > ${LAYER_GZ}`]);
  console.log(`built ${LAYER}: ${picked.length} entries, ${(statSync(LAYER).size / 1e6).toFixed(0)} MB (gz ${(statSync(LAYER_GZ).size / 1e6).toFixed(0)} MB)`);
}

/** Time fn(dest) on a fresh dest; removing the old tree and flushing dirty pages happen outside the clock. */
async function time(name: string, fn: (dest: string) => Promise<unknown> | void): Promise<number> {
  const dest = join(OUT, name);
  rmSync(dest, { recursive: true, force: true });
  execFileSync('sync');
  const t0 = performance.now();
  await fn(dest);
  const s = (performance.now() - t0) / 1000;
  rmSync(dest, { recursive: true, force: true });
  return s;
}

function gnuTar(file: string, dest: string, z: boolean): void {
  mkdirSync(dest);
  const r = spawnSync('tar', ['-x', ...(z ? ['-z'] : []), '-f', file, '-C', dest, '--numeric-owner', '-p', '--xattrs', '--xattrs-include=*']);
  if (r.status !== 0) throw new Error(r.stderr.toString());
}

/** The fair baseline: GNU tools doing all the work unpackLayer does (extract AND hash for the diffId), in parallel. */
function gnuTarAndHash(file: string, dest: string): void {
  mkdirSync(dest);
  const r = spawnSync('sh', ['-c', 'sha256sum "$1" >/dev/null & tar -x -f "$1" -C "$2" --numeric-owner -p --xattrs --xattrs-include="*"; s=$?; wait; exit $s', 'sh', file, dest]);
  if (r.status !== 0) throw new Error(r.stderr.toString());
}

/** Design (a): node-tar Parser + synchronous writes of our own (no safety checks: a speed lower bound). */
async function nodeDesign(file: string, dest: string): Promise<void> {
  mkdirSync(dest);
  const p = new Parser({
    onReadEntry: (e: ReadEntry) => {
      const path = join(dest, e.path);
      if (e.type === 'Directory') {
        mkdirSync(path, { recursive: true, mode: e.mode });
        e.resume();
      } else if (e.type === 'SymbolicLink') {
        symlinkSync(e.linkpath!, path);
        e.resume();
      } else if (e.type === 'Link') {
        linkSync(join(dest, e.linkpath!), path);
        e.resume();
      } else if (e.type === 'File' || e.type === 'OldFile') {
        const fd = openSync(path, 'wx', e.mode);
        e.on('data', (d: Buffer) => writeSync(fd, d));
        e.on('end', () => closeSync(fd));
      } else e.resume();
    },
  });
  await new Promise<void>((resolve, reject) => {
    createReadStream(file, { highWaterMark: 1 << 20 }).pipe(p as unknown as NodeJS.WritableStream);
    p.on('end', resolve);
    p.on('error', reject);
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  buildLayer();
  const mb = statSync(LAYER).size / 1e6;
  const t: Record<string, number[]> = { tar: [], tarHash: [], skiff: [], tarGz: [], skiffGz: [], nodeA: [] };
  const withA = process.env.SKIFF_BENCH_NODE_DESIGN === '1';
  for (let i = 0; i < RUNS; i++) {
    t.tar!.push(await time('out-tar', (d) => gnuTar(LAYER, d, false)));
    t.tarHash!.push(await time('out-tar', (d) => gnuTarAndHash(LAYER, d)));
    t.skiff!.push(await time('out-skiff', (d) => unpackLayer(LAYER, 'application/vnd.oci.image.layer.v1.tar', d)));
    t.tarGz!.push(await time('out-tar', (d) => gnuTar(LAYER_GZ, d, true)));
    t.skiffGz!.push(await time('out-skiff', (d) => unpackLayer(LAYER_GZ, 'application/vnd.oci.image.layer.v1.tar+gzip', d)));
    if (withA) t.nodeA!.push(await time('out-node', (d) => nodeDesign(LAYER, d)));
  }
  const row = (name: string, xs: number[], base: number[]): string =>
    `${name.padEnd(44)} ${median(xs).toFixed(2).padStart(6)} s  ${(mb / median(xs)).toFixed(0).padStart(5)} MB/s  throughput vs GNU tar ${(median(base) / median(xs)).toFixed(2)}×   runs ${xs.map((x) => x.toFixed(2)).join(' ')}`;
  console.log(`layer: ${mb.toFixed(0)} MB uncompressed, unpacked into ${OUT}, median of ${RUNS} interleaved runs`);
  console.log(row('GNU tar -x (plain tar)', t.tar!, t.tar!));
  console.log(row('GNU tar -x + sha256sum in parallel (plain)', t.tarHash!, t.tar!));
  console.log(row('skiff unpackLayer (plain tar)', t.skiff!, t.tar!));
  console.log(row('GNU tar -xz (gzip)', t.tarGz!, t.tarGz!));
  console.log(row('skiff unpackLayer (gzip)', t.skiffGz!, t.tarGz!));
  if (withA) console.log(row('design (a) node-tar Parser + sync writes', t.nodeA!, t.tar!));
  // speed = GNU tar's time / skiff's: ≥ 1.0 means skiff (which also hashes every byte for the diffId) is at least as fast
  const speed = (base: number[], xs: number[]): number => median(base) / median(xs);
  const plain = speed(t.tar!, t.skiff!);
  const gz = speed(t.tarGz!, t.skiffGz!);
  summaryRow(`unpack ${mb.toFixed(0)} MB layer, plain, diffId checked (speed: peer/skiff)`, `${median(t.skiff!).toFixed(2)} s`, `tar -x ${median(t.tar!).toFixed(2)} s`, `${plain.toFixed(2)}×`, '≥ 1.0×', plain >= 1);
  summaryRow(`unpack ${mb.toFixed(0)} MB layer, gzip, diffId checked (speed: peer/skiff)`, `${median(t.skiffGz!).toFixed(2)} s`, `tar -xz ${median(t.tarGz!).toFixed(2)} s`, `${gz.toFixed(2)}×`, '≥ 1.0×', gz >= 1);
}

await main();
