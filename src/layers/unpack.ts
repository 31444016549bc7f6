// Unpacking one image layer into a directory that overlay will use as a lowerdir.
//
//   blob ─▶ decompress ─▶ sha256 (diffId)
//                     └─▶ TarGate (checks every entry, re-encodes headers) ─▶ GNU tar -x (a helper process)
//                                                                   then: opaque dirs get user.overlay.opaque=y
//
// GNU tar does the writing because it is fast (C, one process on the other core) and complete
// (modes without umask, setuid, owners, xattrs, devices, hardlinks, directory mtimes after their
// contents); node-tar in-process measured 2–12× slower (docs/unpack.md). Safety does not rest on
// GNU tar: the gate decides what tar may see, and tar's own refusals (no `..`, no leading `/`,
// delayed symlinks) are a second wall (test/unit/unpack-corpus.test.ts checks both walls apart).
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SkiffError } from '../errors.js';
import { log } from '../log.js';
import { trace } from '../trace.js';
import { inInitialUserNamespace } from '../state/paths.js';
import { openLayerStream, type Source } from './decompress.js';
import { startTar, type TarWriter } from './gnu-tar.js';
import { GateError, LayerTooLarge, TarGate } from './tar-gate.js';
import { layerLimit, type LayerLimit } from './limits.js';
import { setXattrBeneath } from './beneath.js';
import { removeTree } from './remove-tree.js';

export interface UnpackOptions {
  /** Disk the unpacked layer may take (limits.ts); default: layerLimit() of the target's filesystem. */
  limit?: LayerLimit;
  /** keep: restore the layer's numeric owners (needs root, or a full subuid map); squash: everything owned by the caller. */
  owners?: 'keep' | 'squash';
}

export interface UnpackResult {
  /** 'sha256:<hex>' of the uncompressed tar */
  diffId: string;
  entries: number;
  /** bytes of regular-file content */
  bytes: number;
}

/** Which xattrs this process may restore: privileged ones need root in the initial user namespace. */
function privileges(): { keepXattr: (name: string) => boolean } {
  const root = process.geteuid!() === 0;
  const hostRoot = root && inInitialUserNamespace();
  return {
    keepXattr: (name) => {
      // overlay's own xattrs in a lower layer would forge whiteouts/redirects: never from an image
      if (name.startsWith('user.overlay.') || name.startsWith('trusted.overlay.')) return false;
      if (name.startsWith('user.')) return true;
      if (name === 'security.capability') return root; // in a user namespace the kernel stores a v3 (namespaced) capability
      if (name.startsWith('trusted.')) return hostRoot;
      return false; // security.selinux (host labels), system.* ACLs: not an image's business
    },
  };
}

function prepareDest(destDir: string): void {
  try {
    mkdirSync(destDir);
    chmodSync(destDir, 0o755); // not 0777 & ~umask: the top layer's root becomes the container's /
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    if (readdirSync(destDir).length > 0) throw new SkiffError('ELAYER', `unpack target ${destDir} is not empty`, 'this is a bug in skiff: please report it');
  }
}

function tarArgs(destDir: string, owners: 'keep' | 'squash'): string[] {
  return [
    '--extract', '--file=-', `--directory=${destDir}`,
    '--numeric-owner', '--preserve-permissions', owners === 'keep' ? '--same-owner' : '--no-same-owner',
    '--xattrs', '--xattrs-include=*', '--no-acls', '--no-selinux',
    '--delay-directory-restore', '--warning=no-timestamp', '--warning=no-unknown-keyword',
  ];
}

function layerError(e: unknown, blobPath: string, tarStderr = ''): SkiffError {
  if (e instanceof SkiffError) return e;
  if (e instanceof TarGone) return new SkiffError('ELAYER', `GNU tar stopped unpacking ${blobPath}: ${tarStderr.trim().split('\n').slice(-3).join('; ')}`, 'check free space and permissions of the store');
  if (e instanceof LayerTooLarge) {
    return new SkiffError('ELAYER', `refusing layer ${blobPath}: ${e.message}`, 'nothing of it was kept; if the image is trusted, raise SKIFF_MAX_LAYER_SIZE (e.g. 40g) or free disk space', { cause: e });
  }
  if (e instanceof GateError) return new SkiffError('ELAYER', `refusing layer ${blobPath}: ${e.message}`, 'the image is malformed or malicious; nothing of this layer was kept', { cause: e });
  return new SkiffError('ELAYER', `cannot unpack layer ${blobPath}: ${(e as Error).message}`, 'the blob may be corrupt: pull the image again', { cause: e });
}

/** Unpack one layer blob into destDir (which must not exist or be empty). On any error destDir is removed. */
export async function unpackLayer(blobPath: string, mediaType: string, destDir: string, opts: UnpackOptions = {}): Promise<UnpackResult> {
  const owners = opts.owners ?? (process.geteuid!() === 0 ? 'keep' : 'squash');
  const priv = privileges();
  const limit = opts.limit ?? layerLimit(dirname(destDir)); // before anything is made: a bad setting leaves nothing
  prepareDest(destDir);
  const gate = new TarGate({ ...priv, maxBytes: limit.bytes, limitWhy: limit.why, warn: (msg) => log().warn({ layer: blobPath }, msg) });
  let tar: TarWriter | undefined;
  let source: Source | undefined;
  trace.step('fs', `unpack ${blobPath} → ${destDir}`, 'each layer is unpacked once, then shared read-only as an overlay lowerdir');
  try {
    source = openLayerStream(blobPath, mediaType);
    const decompressor = source.child ? waitHelper(source.child, 'zstd') : undefined;
    decompressor?.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
    tar = startTar(tarArgs(destDir, owners));
    const hash = createHash('sha256');
    // A pipeline: while a pool thread pushes chunk k into tar's pipe (waiting whenever tar is behind),
    // this thread reads, hashes and gates chunk k+1, so the diffId's hash never waits for the write path.
    // SKIFF_UNPACK_SYNC_WRITES=1: the former blocking writes from this thread (kept to compare, bench/unpack).
    const syncWrites = process.env.SKIFF_UNPACK_SYNC_WRITES === '1';
    let writing: Promise<void> | undefined;
    for await (const chunk of source.chunks) {
      hash.update(chunk);
      const out = gate.feed(chunk);
      if (writing) await writing;
      writing = out.length ? writeToTar(tar, out, syncWrites) : undefined;
      // Awaited before the next write. If the gate refuses the next chunk first, the catch below kills tar
      // and this write fails with EPIPE: expected then, and unhandled it would end the process mid-cleanup.
      writing?.catch(() => {});
    }
    if (writing) await writing;
    await writeToTar(tar, gate.finish());
    if (decompressor) await decompressor;
    const { code, stderr } = await tar.finish();
    if (code !== 0) throw new SkiffError('ELAYER', `GNU tar failed unpacking ${blobPath}: ${stderr.trim().split('\n').slice(-3).join('; ') || `exit ${code}`}`, 'check free space and permissions of the store');
    for (const dir of gate.opaqueDirs) setXattrBeneath(destDir, dir, 'user.overlay.opaque', Buffer.from('y'));
    return { diffId: `sha256:${hash.digest('hex')}`, entries: gate.entries, bytes: gate.bytes };
  } catch (e) {
    source?.destroy();
    const tarStderr = tar ? await tar.kill() : '';
    removeTree(destDir);
    throw layerError(e, blobPath, tarStderr);
  }
}

/** tar gone early (EPIPE): the real reason is in its stderr, which finish() reports. */
async function writeToTar(tar: TarWriter, bufs: Buffer[], sync = false): Promise<void> {
  try {
    if (sync) tar.write(bufs);
    else await tar.writeAsync(bufs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
    throw new TarGone();
  }
}

class TarGone extends Error {}

function waitHelper(child: ChildProcess, name: string): Promise<void> {
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', (e) => reject(new SkiffError('ELAYER', `cannot run ${name}: ${e.message}`, `install ${name} (scripts/install-deps.sh)`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new SkiffError('ELAYER', `${name} failed: ${stderr.trim() || `exit ${code}`}`, 'the blob may be corrupt: pull the image again'))));
  });
}
