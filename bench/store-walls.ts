// What the store's walls cost (docs/security.md, "Rootful: what container root can do to the host"),
// side by side in one run:
//   1. the check every CLI pays: securePaths on a store that is already private, against `skiff ps`;
//   2. the one-time fix-up of an old (0755/0644) store with 200 containers and 50 volumes;
//   3. the alternative not taken: a subordinate id range for rootful containers with chowned layers —
//      its first-run cost is a chown of every unpacked layer, measured against the pull that unpacked them.
// Run: npm run bench store-walls
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { securePaths, tightenOldStore } from '../src/state/private-store.js';
import { assertPrivateNetns, median, timeOnce } from './lib.js';

assertPrivateNetns();
const skiff = resolve('bin/skiff');
const root = mkdtempSync('/tmp/skiff-bench-walls-');
const env = { ...process.env, SKIFF_ROOT: root };
try {
  // 3 first: a fresh pull is the first-run cost the alternative would add to.
  const pull = timeOnce(skiff, ['pull', 'nginx'], { env });
  const pullEngine = timeOnce(skiff, ['images', '-q'], { env }); // the CLI's own start-up, to subtract
  const t0 = performance.now();
  execFileSync('chown', ['-R', '100000:100000', join(root, 'layers')]);
  const chown = performance.now() - t0;
  const entries = Number(execFileSync('sh', ['-c', `find ${join(root, 'layers')} | wc -l`], { encoding: 'utf8' }).trim());

  // 1. the per-process check, in process, against a whole `skiff ps`.
  const checks: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const s = performance.now();
    securePaths(root, join(root, 'run'));
    checks.push(performance.now() - s);
  }
  const ps: number[] = [];
  for (let i = 0; i < 12; i++) ps.push(timeOnce(skiff, ['ps', '-a'], { env }));

  // 2. an old store, closed once.
  const old = join(root, 'old');
  for (let i = 0; i < 200; i++) {
    const c = join(old, 'containers', i.toString(16).padStart(64, '0'));
    mkdirSync(join(c, 'upper'), { recursive: true });
    for (const f of ['config.json', 'state.json', 'exit', 'x-json.log']) writeFileSync(join(c, f), '{}', { mode: 0o644 });
    chmodSync(c, 0o711);
  }
  for (let i = 0; i < 50; i++) mkdirSync(join(old, 'volumes', `v${i}`, '_data'), { recursive: true, mode: 0o755 });
  chmodSync(old, 0o755);
  const f0 = performance.now();
  tightenOldStore(old);
  const fixup = performance.now() - f0;

  console.log(`per-CLI store check (securePaths, store already private): median ${(median(checks) * 1000).toFixed(0)} µs = ${(median(checks) / median(ps) * 100).toFixed(3)} % of \`skiff ps -a\` (median ${median(ps).toFixed(0)} ms)`);
  console.log(`one-time fix-up of an old store, 200 containers + 50 volumes: ${fixup.toFixed(1)} ms`);
  console.log(`alternative not taken — chown of the unpacked layers of nginx (${entries} entries) to a subordinate range: ${chown.toFixed(0)} ms = ${(chown / Math.max(1, pull - pullEngine) * 100).toFixed(0)} % of the pull+unpack it follows (pull ${pull.toFixed(0)} ms, CLI start ${pullEngine.toFixed(0)} ms)`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
