// Shared bench helpers: timing a command many times, medians, and a guard that benchmarks run inside
// a network namespace of their own (the network rule: nothing touches the machine's own tables).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A namespace made for the bench has only loopback when it starts; the machine's own has more. */
export function assertPrivateNetns(): void {
  const ifaces = readFileSync('/proc/self/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter(Boolean);
  if (ifaces.some((i) => i !== 'lo')) {
    throw new Error('run benchmarks through `npm run bench` (it enters a private network namespace), never in the host\'s own');
  }
}

export function timeOnce(cmd: string, args: string[], opts: SpawnSyncOptions = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${String(r.stderr).slice(0, 400)}`);
  return ms;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function p90(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.9))]!;
}

export interface Series { name: string; samples: number[] }

/** Run every contender once per round, round after round, so drift hits them all alike. */
export function interleaved(rounds: number, contenders: Array<{ name: string; run: () => number }>): Series[] {
  const out = contenders.map((c) => ({ name: c.name, samples: [] as number[] }));
  for (let r = 0; r < rounds; r++) contenders.forEach((c, i) => out[i]!.samples.push(c.run()));
  return out;
}

export function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('   ')).join('\n');
}

export function sh(cmd: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return String(r.stdout);
}

/** Block for `ms` (benchmarks are synchronous loops). */
export function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * How long before a skiff command the bench leaves the machine alone, as a user's commands are
 * seconds apart: the front door's next worker is then ready (it starts one after each command).
 * Back-to-back throughput is what bench/density measures.
 */
export const SETTLE_MS = Number(process.env.SETTLE_MS ?? 1500);

/**
 * One row of the summary `npm run bench` prints at the end (bench/run-all.mjs collects these lines
 * from every benchmark's output): the measure, skiff's figure, its peer's measured in the same run,
 * the ratio, and the target with its verdict.
 */
export function summaryRow(measure: string, skiff: string, peer: string, ratio: string, target: string, met?: boolean): void {
  const verdict = met === undefined ? '' : met ? ' ✔' : ' ✘';
  console.log(['@@summary', measure, skiff, peer, ratio, target + verdict].join('\t'));
}
