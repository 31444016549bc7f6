// bench/foreground-relay: what the foreground stdio relay costs. A foreground `run` used to hand the
// caller's stdin/stdout/stderr to the container; now the supervisor owns pipes (or a pty), relays them
// and writes the json-file log as `-d` does. Compared side by side, interleaved, against another
// checkout of skiff given as BEFORE=/path/to/checkout (built): start-up latency of `run --rm … true`,
// and the throughput of a container writing ~6.9 MB of lines to a pipe (`seq 1000000`).
import { mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assertPrivateNetns, interleaved, median, p90, sh, table, timeOnce } from './lib.js';

assertPrivateNetns();
const rounds = Number(process.env.ROUNDS ?? 12);
const root = resolve(import.meta.dirname, '..');
const before = process.env.BEFORE;
const work = mkdtempSync('/tmp/skiff-bench-relay-');
const env = { ...process.env, SKIFF_ROOT: join(work, 'store') };
const builds = [{ label: 'this checkout', skiff: join(root, 'bin/skiff') }];
if (before) builds.push({ label: 'BEFORE', skiff: join(resolve(before), 'bin/skiff') });
else console.log('(BEFORE not set: measuring this checkout only)');
try {
  sh(builds[0]!.skiff, ['lab', 'load'], { env });
  const contenders = builds.flatMap((b) => [
    { name: `${b.label}: run --rm --network none true`, run: () => timeOnce(b.skiff, ['run', '--rm', '--network', 'none', 'diamol/base', 'true'], { env }) },
    { name: `${b.label}: run --rm true (bridge)`, run: () => timeOnce(b.skiff, ['run', '--rm', 'diamol/base', 'true'], { env }) },
    { name: `${b.label}: run --rm seq 1000000 > pipe`, run: () => timeOnce(b.skiff, ['run', '--rm', '--network', 'none', 'diamol/base', 'seq', '1000000'], { env, stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 }) },
  ]);
  const series = interleaved(rounds, contenders);
  const rows = [['contender', 'median ms', 'p90 ms']];
  for (const s of series) rows.push([s.name, median(s.samples).toFixed(1), p90(s.samples).toFixed(1)]);
  console.log(`foreground-relay, ${rounds} interleaved rounds\n`);
  console.log(table(rows));
} finally {
  rmSync(work, { recursive: true, force: true });
}
