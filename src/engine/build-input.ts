// What a build reads when its context is a stream (`skiff build -` on stdin, POST /build's body):
// a tar (plain, gzip or zstd) is a build context, anything else is the Dockerfile itself with an empty
// context — the test Docker's CLI makes (an archive is known by a compression magic or a tar header
// whose checksum holds). The tar is unpacked by node-tar into a fresh directory: entries that would
// land outside it (absolute paths, `..`, through a symlink) are refused by node-tar, owners are not
// applied, device nodes are not created.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import * as tar from 'tar';
import { SkiffError } from '../errors.js';

type Kind = 'tar' | 'gzip' | 'zstd' | 'bzip2' | 'xz' | 'text';

/** What the first bytes of a stream say it is. */
export function sniffContext(head: Buffer): Kind {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 512) {
    // A tar header: the checksum field (148..155) is the sum of the header's bytes with itself as spaces.
    const field = head.subarray(148, 156).toString('latin1').replace(/\0.*$/, '').trim();
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : head[i]!;
    if (/^[0-7]+$/.test(field) && parseInt(field, 8) === sum) return 'tar';
  }
  return 'text';
}

/**
 * Reads a build context or a Dockerfile from `input` into `dir` (an empty directory).
 * Returns the Dockerfile's text when the stream was one.
 */
export async function contextFromStream(input: AsyncIterable<Buffer | string>, dir: string): Promise<{ dockerfileText?: string }> {
  const it = input[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < 512) {
    const n = await it.next();
    if (n.done) { ended = true; break; }
    const b = Buffer.isBuffer(n.value) ? n.value : Buffer.from(n.value);
    head.push(b);
    size += b.length;
  }
  const first = Buffer.concat(head);
  const kind = sniffContext(first);
  async function* all(): AsyncGenerator<Buffer> {
    yield first;
    if (ended) return;
    for (let n = await it.next(); !n.done; n = await it.next()) yield Buffer.isBuffer(n.value) ? n.value : Buffer.from(n.value);
  }
  if (kind === 'text') {
    const parts: Buffer[] = [];
    let total = 0;
    for await (const b of all()) {
      total += b.length;
      if (total > 16 << 20) throw new SkiffError('EBUILD', 'the Dockerfile on stdin is larger than 16 MiB', 'give a tar of the build context instead', { exitCode: 1 });
      parts.push(b);
    }
    return { dockerfileText: Buffer.concat(parts).toString('utf8') };
  }
  if (kind === 'bzip2' || kind === 'xz') {
    throw new SkiffError('EBUILD', `the build context is compressed with ${kind}, which skiff does not read`, 'send a plain, gzip or zstd tar', { exitCode: 1 });
  }
  const errors: string[] = [];
  const extract = tar.x({
    cwd: dir, preserveOwner: false, strict: false,
    // node-tar reports entries it refused (paths leaving dir, links through symlinks) as warnings
    onwarn: (code: string, message: string) => { if (code !== 'TAR_ENTRY_UNSUPPORTED') errors.push(message); },
  });
  try {
    await pipeline(Readable.from(all()), extract as unknown as NodeJS.WritableStream);
  } catch (e) {
    throw new SkiffError('EBUILD', `the build context is not a readable tar: ${(e as Error).message}`, 'send the context as a tar (docker build sends one)', { exitCode: 1 });
  }
  if (errors.length) {
    throw new SkiffError('EBUILD', `the build context tar has an entry skiff refuses: ${errors[0]}`, 'a context tar holds paths inside the context only', { exitCode: 1 });
  }
  return {};
}
