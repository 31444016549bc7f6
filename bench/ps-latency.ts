// `skiff ps -a` latency against the number of containers in the store (records made through the
// store API, half of them "running" a real sleep so liveness checks are exercised).
// Run: npx tsx bench/ps-latency.ts [counts...]   (default 0 50 200). Reports the median of 15 runs
// after 2 warm-ups (each run is a fresh `bin/skiff` process, Node start-up included).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { psText } from '../src/engine/ps.js';
import { killSleepers, runningContainer, exitedContainer, useStore } from '../test/helpers/fake-containers.js';

const counts = process.argv.slice(2).map(Number);
const skiff = resolve('bin/skiff');
for (const n of counts.length ? counts : [0, 50, 200]) {
  const root = mkdtempSync('/tmp/skiff-bench-ps-');
  useStore(root);
  try {
    for (let i = 0; i < n; i++) await (i % 2 ? exitedContainer(0) : runningContainer());
    const times: number[] = [];
    for (let run = 0; run < 17; run++) {
      const t0 = performance.now();
      const out = spawnSync(skiff, ['ps', '-a'], { encoding: 'utf8', env: { ...process.env, SKIFF_ROOT: root } });
      if (out.status !== 0) throw new Error(out.stderr);
      if (run >= 2) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    // The engine's own share, without Node start-up: psText in this process.
    const inner: number[] = [];
    for (let run = 0; run < 10; run++) {
      const t0 = performance.now();
      await psText({ all: true });
      inner.push(performance.now() - t0);
    }
    inner.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(`ps -a with ${String(n).padStart(4)} containers: median ${median.toFixed(0)} ms (min ${times[0]!.toFixed(0)}, max ${times[times.length - 1]!.toFixed(0)}); in-process psText median ${inner[5]!.toFixed(1)} ms`);
  } finally {
    killSleepers();
    rmSync(root, { recursive: true, force: true });
  }
}
