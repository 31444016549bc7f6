// OCI bundles for the skiff-oci tests: a busybox-static rootfs (a few ms to make) and the config
// `skiff-oci spec` writes, adjusted per test. Also the entry to run skiff-oci with a private --root.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, openSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OciConfig } from '../../src/oci/spec.js';

export const SKIFF_OCI = resolve('bin/skiff-oci');
const APPLETS = ['sh', 'ls', 'cat', 'echo', 'sleep', 'id', 'hostname', 'ps', 'true', 'grep', 'touch', 'mkdir', 'stat', 'sysctl', 'domainname', 'test', 'wc', 'head', 'umask'];

export interface Bundle { dir: string; config: OciConfig; write(): void; dispose(): void }

/** A bundle under `parent` (mode 0755 so an unprivileged user can use it) with `skiff-oci spec [--rootless]`'s config. */
export function makeBundle(parent = '/tmp', rootless = false): Bundle {
  const dir = mkdtempSync(join(parent, 'skiff-oci-bundle-'));
  chmodSync(dir, 0o755);
  const bin = join(dir, 'rootfs', 'bin');
  mkdirSync(bin, { recursive: true });
  for (const d of ['proc', 'dev', 'sys', 'tmp', 'etc']) mkdirSync(join(dir, 'rootfs', d));
  chmodSync(join(dir, 'rootfs', 'tmp'), 0o1777);
  copyFileSync('/bin/busybox', join(bin, 'busybox'));
  chmodSync(join(bin, 'busybox'), 0o755);
  for (const a of APPLETS) symlinkSync('busybox', join(bin, a));
  const r = spawnSync(SKIFF_OCI, ['spec', '--bundle', dir, ...(rootless ? ['--rootless'] : [])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`skiff-oci spec failed: ${r.stderr}`);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as OciConfig;
  config.process!.terminal = false;
  config.root!.readonly = false;
  const b: Bundle = {
    dir, config,
    write: () => writeFileSync(join(dir, 'config.json'), JSON.stringify(b.config, null, 2)),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
  b.write();
  return b;
}

export function ociRoot(): { root: string; dispose(): void } {
  const root = mkdtempSync('/tmp/skiff-oci-root-');
  return { root, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * skiff-oci with a private --root. Output goes through files, not pipes: a created container's init
 * inherits skiff-oci's stdout/stderr (as with runc), and a pipe would keep spawnSync waiting for it.
 */
export function skiffOci(root: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): SpawnSyncReturns<string> {
  const dir = mkdtempSync('/tmp/skiff-oci-io-');
  const out = openSync(join(dir, 'out'), 'w+');
  const err = openSync(join(dir, 'err'), 'w+');
  try {
    const r = spawnSync(SKIFF_OCI, ['--root', root, ...args], { stdio: ['ignore', out, err], env: opts.env ?? process.env, timeout: opts.timeout ?? 30_000 });
    return { ...r, stdout: readFileSync(join(dir, 'out'), 'utf8'), stderr: readFileSync(join(dir, 'err'), 'utf8'), output: [] } as unknown as SpawnSyncReturns<string>;
  } finally {
    closeSync(out);
    closeSync(err);
    rmSync(dir, { recursive: true, force: true });
  }
}
