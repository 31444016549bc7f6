// The content store: every blob (layer, config, manifest) lives at blobs/sha256/<hex>, and only ever
// arrives there by rename from tmp/ after its digest AND size were checked. A per-blob lock makes two
// concurrent pulls of the same content download it once; the second finds it present.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { SkiffError } from '../errors.js';
import { storePaths } from '../state/paths.js';
import { withLock } from '../state/lock.js';
import type { Descriptor } from './oci-types.js';

const DIGEST = /^sha256:([a-f0-9]{64})$/;
const WRITE_BATCH = 1 << 20;

export function digestHex(digest: string): string {
  const m = DIGEST.exec(digest);
  if (!m) throw new SkiffError('EDIGEST', `unsupported or malformed digest "${digest}"`, 'only sha256 digests are supported');
  return m[1]!;
}

export function blobPath(digest: string): string {
  return join(storePaths().blobs, digestHex(digest));
}

export function hasBlob(digest: string): boolean {
  return existsSync(blobPath(digest));
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function readBlob(digest: string): Buffer {
  try {
    return readFileSync(blobPath(digest));
  } catch (e) {
    throw new SkiffError('EIO', `blob ${digest} is missing from the store`, 'pull the image again', { cause: e });
  }
}

/** A fresh path under the store's tmp/ (same filesystem as blobs/, so rename is atomic). */
export function tmpPath(what: string): string {
  const dir = storePaths().tmp;
  mkdirSync(dir, { recursive: true });
  return join(dir, `${what}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Thrown when the stream ended early or broke: worth retrying, unlike a digest mismatch. */
export class TruncatedBlobError extends SkiffError {}

/**
 * Stream a blob into the store: tmp file → hash+count → verify digest and size → rename.
 * On any failure the tmp file is removed and nothing enters blobs/.
 */
export async function storeBlobFromStream(desc: Pick<Descriptor, 'digest' | 'size'>, stream: Readable | AsyncIterable<Uint8Array>, onBytes?: (n: number) => void): Promise<void> {
  const final = blobPath(desc.digest);
  const tmp = tmpPath(`blob-${digestHex(desc.digest).slice(0, 12)}`);
  const hash = createHash('sha256');
  let n = 0;
  // A FileHandle, not a WriteStream: every write has finished when we decide, so a failure can
  // close and remove the tmp file with nothing still in flight to recreate it.
  const fh = await open(tmp, 'w', 0o644);
  try {
    try {
      // Network chunks are small (16-64 KiB): batch them into ~1 MiB writes, one syscall each.
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      for await (const chunk of stream as AsyncIterable<Uint8Array>) {
        n += chunk.length;
        if (n > desc.size) {
          throw new SkiffError('EDIGEST', `blob ${desc.digest.slice(7, 19)} is larger than its descriptor says (${desc.size} bytes)`, 'the registry served wrong content; report it to the registry owner');
        }
        hash.update(chunk);
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= WRITE_BATCH) {
          await fh.writev(pending);
          pending = [];
          pendingBytes = 0;
        }
        onBytes?.(chunk.length);
      }
      if (pendingBytes > 0) await fh.writev(pending);
    } finally {
      await fh.close();
    }
    if (n < desc.size) {
      throw new TruncatedBlobError('EDIGEST', `blob ${desc.digest.slice(7, 19)} was truncated (${n} of ${desc.size} bytes)`, 'the connection was cut; try the pull again');
    }
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== desc.digest) {
      throw new SkiffError('EDIGEST', `blob content does not match its digest (expected ${desc.digest}, got ${got})`, 'the registry served wrong or corrupted content; nothing was stored');
    }
    mkdirSync(storePaths().blobs, { recursive: true });
    renameSync(tmp, final);
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof SkiffError) throw e;
    throw new TruncatedBlobError('EREGISTRY', `download of blob ${desc.digest.slice(7, 19)} failed: ${(e as Error).message}`, 'check the connection to the registry and try again', { cause: e });
  }
}

/** Store bytes already in memory (manifests, configs), verified the same way. */
export function storeBlobBytes(data: Buffer, expected?: string): string {
  const digest = sha256(data);
  if (expected && expected !== digest) {
    throw new SkiffError('EDIGEST', `content does not match its digest (expected ${expected}, got ${digest})`, 'the source served wrong or corrupted content; nothing was stored');
  }
  const final = blobPath(digest);
  if (existsSync(final)) return digest;
  const tmp = tmpPath('bytes');
  mkdirSync(storePaths().blobs, { recursive: true });
  try {
    // write then rename: readers never see a partial blob
    writeFileSync(tmp, data, { mode: 0o644 });
    renameSync(tmp, final);
  } finally {
    rmSync(tmp, { force: true });
  }
  return digest;
}

/** Serialise work on one blob across processes (two pulls of the same layer download it once). */
export function withBlobLock<R>(digest: string, fn: () => Promise<R>): Promise<R> {
  return withLock(join(storePaths().locks, `blob-${digestHex(digest)}.lock`), fn, 10 * 60_000);
}

export function removeBlob(digest: string): boolean {
  const p = blobPath(digest);
  if (!existsSync(p)) return false;
  rmSync(p, { force: true });
  return true;
}

/** Copy a file into the store, hashing as it goes; returns its digest and size. */
export async function storeBlobFromFile(path: string): Promise<{ digest: string; size: number }> {
  const { createReadStream } = await import('node:fs');
  const tmp = tmpPath('file');
  const hash = createHash('sha256');
  let size = 0;
  const out = createWriteStream(tmp, { mode: 0o644 });
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'close');
    const digest = `sha256:${hash.digest('hex')}`;
    mkdirSync(storePaths().blobs, { recursive: true });
    if (existsSync(blobPath(digest))) rmSync(tmp, { force: true });
    else renameSync(tmp, blobPath(digest));
    return { digest, size };
  } catch (e) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw e;
  }
}
