#!/usr/bin/env node
// `npm run bench [name…]`: every benchmark (or the named ones), each inside a private network and
// mount namespace, so no benchmark can put a link, route or rule into the machine's own tables.
// Each benchmark's output streams through; its summary rows (lib.ts summaryRow) are gathered and
// printed together at the end: every measure beside its peer from the same run, ratio and target.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const all = readdirSync(here).filter((f) => f.endsWith('.ts') && f !== 'lib.ts').map((f) => f.replace(/\.ts$/, ''));
const run = wanted.length ? wanted : all;
const MARK = '@@summary\t';
const summary = [];
let failed = 0;
for (const name of run) {
  console.log(`\n=== bench/${name} ===`);
  const tsx = join(here, '..', 'node_modules', '.bin', 'tsx');
  const child = spawn('unshare', ['--net', '--mount', '--propagation', 'private', '--fork', 'sh', '-c', `ip link set lo up && exec "${tsx}" "${join(here, name + '.ts')}"`], { stdio: ['inherit', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (l) => {
    if (l.startsWith(MARK)) summary.push([name, ...l.slice(MARK.length).split('\t')]);
    else console.log(l);
  });
  const code = await new Promise((resolve) => child.on('close', (c) => resolve(c)));
  if (code !== 0) failed++;
}
if (summary.length) {
  const rows = [['bench', 'measure', 'skiff', 'peer (same run)', 'ratio', 'target'], ...summary];
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  console.log(`\n=== summary (${new Date().toISOString().slice(0, 16)}Z, load average ${(await import('node:os')).loadavg()[0].toFixed(1)}) ===`);
  for (const r of rows) console.log(r.map((c, i) => (c ?? '').padEnd(w[i])).join('   '));
}
process.exit(failed ? 1 : 0);
