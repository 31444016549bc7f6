// ffi-rs must load its glibc binding on a glibc host that also has musl installed: Debian's musl package
// (musl-tools, which scripts/install-deps.sh installs to build skiff-runtime) puts ld-musl-<arch>.so.1 in
// /lib beside glibc, and a loader that took that file for "this process runs on musl" asked for the musl
// binding, which is not installed: every skiff command failed. The test shows such a file in /lib (an
// overlay in a private mount namespace, so the machine's /lib is untouched) and loads ffi-rs there.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { itWhen, needCommand, needRoot } from '../helpers/conditions.js';

const root = process.cwd();
let dir: string;
beforeAll(() => {
  dir = mkdtempSync('/tmp/skiff-ffi-musl-');
  writeFileSync(join(dir, 'ld-musl-x86_64.so.1'), '');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ffi-rs beside an installed musl', () => {
  itWhen([needRoot, needCommand('unshare')], 'loads on glibc while /lib holds an ld-musl loader', () => {
    const lib = realpathSync('/lib');
    const load = `import(${JSON.stringify(join(root, 'src/kernel/ffi-load.ts'))}).then((m) => console.log("open:" + typeof m.default.open))`;
    const script = [
      `mount -t overlay overlay -o lowerdir=${dir}:${lib} ${lib}`,
      // the setup must hold, or the load below proves nothing
      'ls /lib/ld-musl-x86_64.so.1',
      'exec "$0" --import tsx -e "$1"',
    ].join(' && ');
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, process.execPath, load], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/lib/ld-musl-x86_64.so.1\nopen:function\n');
    expect(r.status).toBe(0);
  }, 60_000);
});
