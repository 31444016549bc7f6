// `skiff ps -a` latency against the number of containers in the store (records made through the
// store API, half of them "running" a real sleep so liveness checks are exercised).
// Run: npx tsx bench/ps-latency.ts [counts...]   (default 0 50 200). Reports the median of 15 runs
// after 2 warm-ups through the front door (a settle pause before each, lib.ts SETTLE_MS), the same with
// SKIFF_WARM=off (a Node start per run), and the engine's own share in this process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { psText } from '../src/engine/ps.js';
import { killSleepers, runningContainer, exitedContainer, useStore } from '../test/helpers/fake-containers.js';
import { pause, SETTLE_MS } from './lib.js';

const counts = process.argv.slice(2).map(Number);
const skiff = resolve('bin/skiff');
for (const n of counts.length ? counts : [0, 50, 200]) {
  const root = mkdtempSync('/tmp/skiff-bench-ps-');
  useStore(root);
  try {
    for (let i = 0; i < n; i++) await (i % 2 ? exitedContainer(0) : runningContainer());
    const timed = (warm: boolean): number[] => {
      const times: number[] = [];
      for (let run = 0; run < 17; run++) {
        if (warm) pause(SETTLE_MS);
        const t0 = performance.now();
        const out = spawnSync(skiff, ['ps', '-a'], { encoding: 'utf8', env: { ...process.env, SKIFF_ROOT: root, ...(warm ? {} : { SKIFF_WARM: 'off' }) } });
        if (out.status !== 0) throw new Error(`ps -a failed (${out.status ?? out.signal ?? out.error?.message}): ${out.stderr}`);
        if (run >= 2) times.push(performance.now() - t0);
      }
      return times.sort((a, b) => a - b);
    };
    const times = timed(true);
    const cold = timed(false);
    // The engine's own share, without Node start-up: psText in this process.
    const inner: number[] = [];
    for (let run = 0; run < 10; run++) {
      const t0 = performance.now();
      await psText({ all: true });
      inner.push(performance.now() - t0);
    }
    inner.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(`ps -a with ${String(n).padStart(4)} containers: median ${median.toFixed(0)} ms (min ${times[0]!.toFixed(0)}, max ${times[times.length - 1]!.toFixed(0)}); without the front door ${cold[Math.floor(cold.length / 2)]!.toFixed(0)} ms; in-process psText median ${inner[5]!.toFixed(1)} ms`);
  } finally {
    killSleepers();
    rmSync(root, { recursive: true, force: true });
  }
}
