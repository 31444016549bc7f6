#!/usr/bin/env node
// Bundle the CLI with esbuild: one entry, code-split per command so a command loads only what it
// uses (Node's start-up is the largest part of a short `skiff run`; see bench/run-latency).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const git = spawnSync('git', ['rev-parse', '--short=7', 'HEAD'], { cwd: root, encoding: 'utf8' });
const commit = git.status === 0 ? git.stdout.trim() : 'unknown';
rmSync(join(root, 'dist'), { recursive: true, force: true });
const common = {
  outdir: join(root, 'dist'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Native addon and pino's worker-based internals must be loaded from node_modules at run time.
  external: ['ffi-rs', 'pino'],
  banner: { js: "import { createRequire as __skiffCreateRequire } from 'node:module'; const require = __skiffCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  define: {
    __SKIFF_VERSION__: JSON.stringify(pkg.version),
    __SKIFF_COMMIT__: JSON.stringify(commit),
  },
};
await build({ ...common, entryPoints: { cli: join(root, 'src/cli/main.ts') }, splitting: true });
// The front door's pre-started worker (src/warm/) imports nearly everything ahead of time: one file
// with no chunks spares Node's ESM loader a resolve/load/link per chunk at every worker start.
await build({ ...common, entryPoints: { 'warm-worker': join(root, 'src/warm/worker.ts') }, splitting: false });
// skiff-oci (runc's command line, src/oci/): its own entry, one file, so each call from containerd loads little.
await build({ ...common, entryPoints: { oci: join(root, 'src/oci/cli.ts') }, splitting: false });
