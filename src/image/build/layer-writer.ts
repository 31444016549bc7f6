// Streams layer entries into a gzip'd tar file and measures it on the way: the diffID (sha256 of the
// tar) goes into the image config, the digest and size (of the gzip) into the manifest.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { SkiffError } from '../../errors.js';
import { encodeHeader, END_OF_ARCHIVE, padding, type TarEntryHeader } from './tar-header.js';

export interface LayerEntry extends TarEntryHeader {
  /** Host file whose bytes are the entry's content (type 'file' only). */
  source?: string;
}

export interface LayerBlob {
  /** sha256 of the compressed blob: the manifest's layer digest. */
  digest: string;
  /** sha256 of the uncompressed tar: the config's rootfs.diff_ids entry. */
  diffId: string;
  /** Size of the compressed blob in bytes. */
  size: number;
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip';
}

async function* tarBytes(entries: AsyncIterable<LayerEntry> | Iterable<LayerEntry>): AsyncGenerator<Buffer> {
  for await (const e of entries) {
    yield encodeHeader(e);
    if (e.type !== 'file' || e.size === 0) continue;
    let written = 0;
    for await (const chunk of createReadStream(e.source!, { end: e.size - 1 })) {
      written += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    if (written !== e.size) {
      throw new SkiffError('EBUILD', `${e.source} changed size while it was being archived (${e.size} → ${written} bytes)`, 'do not modify the build context or the container while the layer is written');
    }
    yield padding(e.size);
  }
  yield END_OF_ARCHIVE;
}

/** Writes `entries` as a tar+gzip layer to `outFile`; on failure no file is left behind. */
export async function writeLayer(entries: AsyncIterable<LayerEntry> | Iterable<LayerEntry>, outFile: string): Promise<LayerBlob> {
  const tarHash = createHash('sha256');
  const gzHash = createHash('sha256');
  let size = 0;
  const measureTar = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      tarHash.update(chunk);
      cb(null, chunk);
    },
  });
  const measureGz = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      gzHash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    // gzip output is deterministic: Node writes no timestamp or file name into the gzip header.
    await pipeline(Readable.from(tarBytes(entries)), measureTar, createGzip({ level: 6 }), measureGz, createWriteStream(outFile, { flags: 'wx', mode: 0o644 }));
  } catch (e) {
    // Never remove a file that was there before us ('wx' refused to open it).
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') await rm(outFile, { force: true });
    throw e;
  }
  return { digest: `sha256:${gzHash.digest('hex')}`, diffId: `sha256:${tarHash.digest('hex')}`, size, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
}
