// bench/spawn-cost: what starting a program costs a Node process the size of skiff's worker — Node's
// child_process.spawn (libuv forks, copying the page tables of the whole heap) against the posix_spawn
// primitive skiff launches skiff-runtime with (src/spawn/start-process.ts: clone(CLONE_VM|CLONE_VFORK)).
// Interleaved rounds, /bin/true, timed until the call returns and until the child was reaped.
import { spawn } from 'node:child_process';
import { startProcess } from '../src/spawn/start-process.js';
import { assertPrivateNetns, median, p90, summaryRow, table } from './lib.js';

assertPrivateNetns();
const rounds = Number(process.env.ROUNDS ?? 31);
// The warm worker holds ≈ 60 MiB (README "front door"): live objects, so the heap's pages are mapped.
const ballast = Array.from({ length: 600_000 }, (_, i) => ({ i, s: `entry-${i}` }));

async function viaNode(): Promise<[number, number]> {
  const t0 = performance.now();
  const c = spawn('/bin/true', [], { stdio: 'ignore' });
  const started = performance.now() - t0;
  await new Promise((r) => c.on('exit', r));
  return [started, performance.now() - t0];
}

async function viaPosixSpawn(): Promise<[number, number]> {
  const t0 = performance.now();
  const c = startProcess({ path: '/bin/true', args: [], io: ['ignore', 'ignore', 'ignore'] });
  const started = performance.now() - t0;
  await c.wait();
  return [started, performance.now() - t0];
}

const node: Array<[number, number]> = [], posix: Array<[number, number]> = [];
await viaNode();
await viaPosixSpawn(); // first calls load ffi symbols: not counted
for (let r = 0; r < rounds; r++) {
  node.push(await viaNode());
  posix.push(await viaPosixSpawn());
}
const col = (xs: Array<[number, number]>, i: 0 | 1) => xs.map((x) => x[i]);
const rss = process.memoryUsage().rss / 2 ** 20;
console.log(`spawn-cost, ${rounds} interleaved rounds from a Node process of ${rss.toFixed(0)} MiB RSS (${ballast.length} objects held)\n`);
const rows = [['how', 'call returns: median ms', 'p90 ms', 'child reaped: median ms', 'p90 ms']];
for (const [name, xs] of [['child_process.spawn (fork)', node], ['posix_spawn + pidfd (skiff)', posix]] as const) {
  rows.push([name, median(col(xs, 0)).toFixed(2), p90(col(xs, 0)).toFixed(2), median(col(xs, 1)).toFixed(2), p90(col(xs, 1)).toFixed(2)]);
}
console.log(table(rows));
const a = median(col(posix, 0)), b = median(col(node, 0));
summaryRow('start a program from the engine (call returns)', `${a.toFixed(1)} ms`, `child_process.spawn ${b.toFixed(1)} ms`, `${(a / b).toFixed(2)}×`, '');
