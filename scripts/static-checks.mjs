#!/usr/bin/env node
// The static half of the test gate, run by scripts/test.mjs (each check counts as one test there):
// the type-check (tsc --noEmit), the linter (typescript-eslint: floating and misused promises,
// unused variables — eslint.config.js) and dead exports (knip — knip.json). Each runs in `cwd`
// (the project, or a fixture project in test/fixtures/gate that must fail them).
// By hand: `node scripts/static-checks.mjs [name…]`.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

/** name → the command that must exit 0. */
export const CHECKS = {
  typecheck: [bin('tsc'), '--noEmit', '-p', 'tsconfig.json'],
  lint: [bin('eslint'), '--max-warnings=0', '--no-warn-ignored', '.'],
  'unused-exports': [bin('knip'), '--no-progress', '--no-config-hints'],
};

/** Run one check in `cwd`; `ok` is its verdict, `output` what it said (for the failure message). */
export function runCheck(name, cwd = root) {
  const [cmd, ...args] = CHECKS[name];
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  return { name, ok: r.status === 0, output };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(CHECKS);
  let failed = 0;
  for (const name of names) {
    const r = runCheck(name);
    if (!r.ok) failed += 1;
    console.log(`${r.ok ? '✓' : '✗'} ${name}${r.ok ? '' : `\n${r.output.trimEnd()}`}`);
  }
  process.exit(failed ? 1 : 0);
}
