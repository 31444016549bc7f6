// Tar files of images (save/load): extract into a private staging directory under the store's tmp/
// (node-tar's defaults refuse `..`, absolute paths and links out of the directory; only regular
// files and directories are taken), with gzip/zstd detected by magic bytes; pack a directory back.
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, mkdirSync, openSync, readSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import * as tar from 'tar';
import { SkiffError } from '../errors.js';

export type Compression = 'gzip' | 'zstd' | 'none';

export function sniffCompression(path: string): Compression {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    const n = readSync(fd, b, 0, 4, 0);
    if (n >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
    if (n >= 4 && b.readUInt32BE(0) === 0x28b52ffd) return 'zstd';
    return 'none';
  } finally {
    closeSync(fd);
  }
}

/** A decompressed stream of a file (zstd through the zstd tool: Node 20's zlib has no zstd). */
export function openDecompressed(path: string): { stream: Readable; done: Promise<void> } {
  const c = sniffCompression(path);
  if (c === 'zstd') {
    const child = spawn('zstd', ['-dc', '--', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const done = new Promise<void>((resolve, reject) => {
      child.on('error', (e) => reject(new SkiffError('ELAYER', `cannot run zstd to decompress ${path}: ${e.message}`, 'install zstd (apt-get install zstd)')));
      child.on('close', (code) => (code === 0 ? resolve() : reject(new SkiffError('ELAYER', `zstd could not decompress the archive: ${err.trim().split('\n').pop() ?? code}`, 'the file is corrupted'))));
    });
    return { stream: child.stdout, done };
  }
  // gzip is detected by node-tar itself
  return { stream: createReadStream(path), done: Promise.resolve() };
}

/** Extract an image archive (strict: any tar error is an error). */
export async function extractArchive(path: string, dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  const { stream, done } = openDecompressed(path);
  let bad: string | undefined;
  let entries = 0;
  const x = tar.x({
    cwd: dest,
    strict: true,
    preserveOwner: false,
    filter: (_p, e) => {
      const t = (e as { type?: string }).type;
      const ok = t === 'File' || t === 'OldFile' || t === 'Directory' || t === 'ContiguousFile';
      if (ok) entries++;
      return ok;
    },
    onwarn: (_code, message) => {
      bad ??= String(message);
    },
  });
  try {
    await Promise.all([pipeline(stream, x), done]);
  } catch (e) {
    if (e instanceof SkiffError) throw e;
    throw new SkiffError('ELAYER', `the archive is not a valid tar file: ${(e as Error).message}`, 'pass a file made by `skiff save` or `docker save`');
  }
  if (bad) throw new SkiffError('ELAYER', `the archive is not a valid tar file: ${bad}`, 'pass a file made by `skiff save` or `docker save`');
  if (entries === 0) throw new SkiffError('ELAYER', 'the archive is empty or not a tar file', 'pass a file made by `skiff save` or `docker save`');
}

/** Pack the contents of a directory into a tar file (or stdout), entries in sorted order. */
export async function packDirectory(dir: string, entries: string[], out: NodeJS.WritableStream): Promise<void> {
  const p = tar.c({ cwd: dir, portable: true, noMtime: false, follow: false }, entries.sort());
  await pipeline(p as unknown as Readable, out);
}
