// One image layer: a directory tree packed into a tar that is byte-for-byte reproducible, then
// gzipped without a name or timestamp. Same inputs → same diff_id and same blob digest, on any
// machine, which is what lets two images share a base layer ("Already exists" on pull).
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonIfExists } from '../../src/state/atomic.js';
import { run } from './run.js';

export interface Layer {
  /** sha256:… of the gzipped blob (what manifests list). */
  digest: string;
  size: number;
  /** sha256:… of the uncompressed tar (what the config's rootfs.diff_ids lists). */
  diffId: string;
  /** The gzipped tar on disk. */
  path: string;
  /** Shown as the history entry, like a Dockerfile instruction. */
  createdBy: string;
}

export async function sha256OfFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/**
 * Packs `dir` the way reproducible-builds.org recommends for GNU tar: names sorted, every mtime
 * clamped to SOURCE_DATE_EPOCH, numeric owner 0:0, no atime/ctime, no xattrs, PAX header names
 * without the process id. Entries are relative (`bin/sh`, not `./bin/sh`), as docker writes them.
 */
function packDeterministic(dir: string, tarPath: string, epoch: number): void {
  const top = readdirSync(dir).sort();
  run('tar', [
    '--create', '--file', tarPath, '--directory', dir,
    '--sort=name', '--format=posix',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    `--mtime=@${epoch}`, '--owner=0', '--group=0', '--numeric-owner',
    '--no-acls', '--no-xattrs', '--no-selinux',
    '--', ...top,
  ]);
}

/**
 * Returns the layer for `key` from `cacheDir`, building it (populate → pack → gzip -n) only when
 * no layer with that key exists yet. `key` must cover every input that can change the content.
 */
export async function cachedLayer(
  cacheDir: string,
  key: string,
  createdBy: string,
  epoch: number,
  populate: (dir: string) => void | Promise<void>,
): Promise<Layer> {
  const id = createHash('sha256').update(JSON.stringify({ key, epoch })).digest('hex').slice(0, 32);
  const home = join(cacheDir, id);
  const meta = readJsonIfExists<Layer>(join(home, 'layer.json'));
  if (meta && existsSync(meta.path) && statSync(meta.path).size === meta.size) return { ...meta, createdBy };

  const work = `${home}.work-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  const stage = join(work, 'rootfs');
  mkdirSync(stage, { recursive: true, mode: 0o755 });
  try {
    await populate(stage);
    const tarPath = join(work, 'layer.tar');
    packDeterministic(stage, tarPath, epoch);
    const diffId = await sha256OfFile(tarPath);
    run('gzip', ['-n', '-6', tarPath]); // -n: no name, no timestamp in the gzip header
    const gzPath = `${tarPath}.gz`;
    const digest = await sha256OfFile(gzPath);
    rmSync(stage, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
    renameSync(work, home);
    const layer: Layer = { digest, size: statSync(join(home, 'layer.tar.gz')).size, diffId, path: join(home, 'layer.tar.gz'), createdBy };
    writeFileSync(join(home, 'layer.json'), JSON.stringify(layer, null, 2));
    return layer;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
