#!/usr/bin/env node
// `npm run bench [name…]`: every benchmark (or the named ones), each inside a private network and
// mount namespace, so no benchmark can put a link, route or rule into the machine's own tables.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const all = readdirSync(here).filter((f) => f.endsWith('.ts') && f !== 'lib.ts').map((f) => f.replace(/\.ts$/, ''));
const run = wanted.length ? wanted : all;
let failed = 0;
for (const name of run) {
  console.log(`\n=== bench/${name} ===`);
  const tsx = join(here, '..', 'node_modules', '.bin', 'tsx');
  const r = spawnSync('unshare', ['--net', '--mount', '--propagation', 'private', '--fork', 'sh', '-c', `ip link set lo up && exec "${tsx}" "${join(here, name + '.ts')}"`], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
