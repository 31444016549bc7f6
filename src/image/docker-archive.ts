// Docker's `docker save` format (docker-archive):
//   manifest.json  [{ "Config": "<hex>.json", "RepoTags": ["diamol/base:latest"], "Layers": ["<hex>/layer.tar", …] }]
//   <config hex>.json, <diff id hex>/layer.tar  (uncompressed, so any Docker or skopeo can load it)
// Reading also accepts compressed layer files and Docker 25's variant that names files under blobs/.
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { SkiffError } from '../errors.js';
import { blobPath, digestHex, readBlob, storeBlobBytes, storeBlobFromFile } from './blobs.js';
import { openDecompressed, sniffCompression } from './archive.js';
import { parseConfig } from './manifest.js';
import { MT, type ImageManifest } from './oci-types.js';
import { displayTag, type ImageRecord, type LayerRecord } from './store.js';

interface ArchiveEntry { Config: string; RepoTags?: string[] | null; Layers: string[] }

/** Lay out images as a docker-archive directory (to be tarred). Returns the entry names. */
export async function writeDockerArchive(dir: string, images: { record: ImageRecord; tags: string[] }[]): Promise<string[]> {
  const manifest: ArchiveEntry[] = [];
  const names = new Set<string>(['manifest.json']);
  for (const { record, tags } of images) {
    const cfgName = `${digestHex(record.config.digest)}.json`;
    writeFileSync(join(dir, cfgName), readBlob(record.config.digest));
    names.add(cfgName);
    const layers: string[] = [];
    for (const l of record.layers) {
      const name = `${digestHex(l.diffId)}/layer.tar`;
      layers.push(name);
      if (names.has(name)) continue;
      names.add(name);
      mkdirSync(join(dir, digestHex(l.diffId)), { recursive: true });
      const src = openDecompressed(blobPath(l.digest));
      const gz = sniffCompression(blobPath(l.digest)) === 'gzip';
      await Promise.all([gz ? pipeline(src.stream, createGunzip(), createWriteStream(join(dir, name))) : pipeline(src.stream, createWriteStream(join(dir, name))), src.done]);
    }
    manifest.push({ Config: cfgName, RepoTags: tags.map(displayTag), Layers: layers });
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return [...names].map((n) => n.split('/')[0]!).filter((n, i, a) => a.indexOf(n) === i);
}

function inside(dir: string, name: unknown): string {
  if (typeof name !== 'string' || !name) throw new SkiffError('EMANIFEST', 'manifest.json names a file that is not a string', 'the archive is malformed');
  const p = resolve(dir, name);
  if (!p.startsWith(resolve(dir) + sep)) throw new SkiffError('EMANIFEST', `manifest.json points outside the archive: ${name}`, 'the archive is malformed or malicious');
  if (!existsSync(p) || !statSync(p).isFile()) throw new SkiffError('EMANIFEST', `manifest.json names ${name}, which the archive does not contain`, 'the archive is incomplete');
  return p;
}

export interface ArchivedImage { record: Omit<ImageRecord, 'repoTags' | 'repoDigests' | 'addedAt'>; tags: string[] }

/** Read an extracted docker-archive: store config, layers and a synthesized OCI manifest as blobs. */
export async function readDockerArchive(dir: string, added: Set<string>): Promise<ArchivedImage[]> {
  let entries: ArchiveEntry[];
  try {
    entries = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ArchiveEntry[];
  } catch (e) {
    throw new SkiffError('EMANIFEST', 'manifest.json of the archive is not valid JSON', 'the archive is malformed', { cause: e });
  }
  if (!Array.isArray(entries) || entries.length === 0) throw new SkiffError('EMANIFEST', 'manifest.json of the archive lists no images', 'the archive is malformed');
  const out: ArchivedImage[] = [];
  for (const e of entries) {
    if (!e || !Array.isArray(e.Layers)) throw new SkiffError('EMANIFEST', 'an entry of manifest.json has no Layers list', 'the archive is malformed');
    const cfgBytes = readFileSync(inside(dir, e.Config));
    const config = parseConfig(cfgBytes, e.Layers.length);
    const layers: LayerRecord[] = [];
    for (let i = 0; i < e.Layers.length; i++) {
      const file = inside(dir, e.Layers[i]);
      const comp = sniffCompression(file);
      const { digest, size } = await storeBlobFromFile(file);
      added.add(digest);
      const diffId = config.rootfs.diff_ids[i]!;
      if (comp === 'none' && digest !== diffId) {
        throw new SkiffError('ELAYER', `layer ${e.Layers[i]} does not match diff id ${diffId} of the image config`, 'the archive is corrupted');
      }
      layers.push({ mediaType: comp === 'gzip' ? MT.ociLayerGzip : comp === 'zstd' ? MT.ociLayerZstd : MT.ociLayer, digest, size, diffId });
    }
    const cfgDigest = storeBlobBytes(cfgBytes);
    added.add(cfgDigest);
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: { mediaType: MT.ociConfig, digest: cfgDigest, size: cfgBytes.length },
      layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
    };
    const mBytes = Buffer.from(JSON.stringify(manifest));
    const mDigest = storeBlobBytes(mBytes);
    added.add(mDigest);
    out.push({
      record: {
        id: cfgDigest,
        manifest: { digest: mDigest, mediaType: MT.ociManifest, size: mBytes.length },
        config: manifest.config,
        layers,
        ...(config.created ? { created: config.created } : {}),
        size: cfgBytes.length + layers.reduce((s, l) => s + l.size, 0),
        platform: `${config.os}/${config.architecture}`,
      },
      tags: (e.RepoTags ?? []).filter((t): t is string => typeof t === 'string'),
    });
  }
  return out;
}
