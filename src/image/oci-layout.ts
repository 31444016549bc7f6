// OCI image layouts (image-spec "image-layout"): a directory with `oci-layout`, `index.json` and
// `blobs/sha256/<hex>`. Read as a pull source (the lab mirror, `skiff load` of an OCI tar) and
// written by `skiff save --format oci`.
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, statSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../errors.js';
import { blobPath, digestHex, sha256 } from './blobs.js';
import { MT, type Descriptor, type ImageIndex } from './oci-types.js';
import type { ImageSource } from './source.js';
import type { FetchedManifest } from './registry/client.js';
import type { ImageRecord } from './store.js';

export const REF_NAME = 'org.opencontainers.image.ref.name';

export function isOciLayout(dir: string): boolean {
  return existsSync(join(dir, 'oci-layout')) && existsSync(join(dir, 'index.json'));
}

export function readLayoutIndex(dir: string): ImageIndex {
  let idx: ImageIndex;
  try {
    idx = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as ImageIndex;
  } catch (e) {
    throw new SkiffError('EMANIFEST', `${join(dir, 'index.json')} is missing or not valid JSON`, 'the OCI layout is malformed', { cause: e });
  }
  if (!Array.isArray(idx.manifests)) throw new SkiffError('EMANIFEST', `${join(dir, 'index.json')} has no manifests list`, 'the OCI layout is malformed');
  return idx;
}

/** The tag part of a ref.name annotation, which may be `latest` or a full `name:latest`. */
export function refNameTag(name: string): string {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? name.slice(colon + 1) : name;
}

export class OciLayoutSource implements ImageSource {
  readonly retryBlobs = false;
  constructor(readonly dir: string, readonly name = dir) {}

  private blob(digest: string): string {
    return join(this.dir, 'blobs', 'sha256', digestHex(digest));
  }

  async getManifest(reference: string): Promise<FetchedManifest> {
    let desc: Descriptor | undefined;
    if (reference.startsWith('sha256:')) {
      desc = { digest: reference, mediaType: '', size: -1 };
    } else {
      const idx = readLayoutIndex(this.dir);
      desc = idx.manifests.find((d) => d.annotations?.[REF_NAME] !== undefined && refNameTag(d.annotations[REF_NAME]!) === reference);
      if (!desc && idx.manifests.length === 1 && !idx.manifests[0]!.annotations?.[REF_NAME] && reference === 'latest') desc = idx.manifests[0];
      if (!desc) throw new SkiffError('ENOIMAGE', `tag ${reference} not found in ${this.name}`, 'list its tags in index.json');
    }
    const p = this.blob(desc.digest);
    if (!existsSync(p)) throw new SkiffError('EMANIFEST', `manifest ${desc.digest} is missing from ${this.name}`, 'the OCI layout is incomplete');
    const bytes = readFileSync(p);
    const digest = sha256(bytes);
    if (digest !== desc.digest) throw new SkiffError('EDIGEST', `manifest in ${this.name} does not match its digest ${desc.digest}`, 'the OCI layout is corrupted');
    let mediaType = desc.mediaType;
    try {
      mediaType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? mediaType;
    } catch {
      throw new SkiffError('EMANIFEST', `manifest ${desc.digest} in ${this.name} is not valid JSON`, 'the OCI layout is malformed');
    }
    return { bytes, mediaType, digest };
  }

  async openBlob(desc: Descriptor): Promise<AsyncIterable<Uint8Array>> {
    const p = this.blob(desc.digest);
    if (!existsSync(p)) throw new SkiffError('ELAYER', `blob ${desc.digest} is missing from ${this.name}`, 'the OCI layout is incomplete');
    return createReadStream(p, { highWaterMark: 1 << 20 });
  }
}

/** Write images into an OCI layout directory (blobs copied from the store), tagged with ref.name. */
export function writeOciLayout(dir: string, images: { record: ImageRecord; refNames: string[] }[]): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const manifests: Descriptor[] = [];
  for (const { record, refNames } of images) {
    for (const d of [record.manifest.digest, record.config.digest, ...record.layers.map((l) => l.digest)]) {
      const to = join(dir, 'blobs', 'sha256', digestHex(d));
      if (!existsSync(to)) copyFileSync(blobPath(d), to);
    }
    const base: Descriptor = { mediaType: record.manifest.mediaType || MT.ociManifest, digest: record.manifest.digest, size: statSync(blobPath(record.manifest.digest)).size };
    if (refNames.length === 0) manifests.push(base);
    for (const n of refNames) manifests.push({ ...base, annotations: { [REF_NAME]: n, 'io.containerd.image.name': n } });
  }
  writeLayoutIndex(dir, manifests);
}

/**
 * What makes a directory an OCI layout besides its blobs: the `oci-layout` marker and `index.json`
 * naming its manifests — the one writer of both, for `save --format oci` and `build`. The index goes
 * last and by rename, so a reader never sees one that names a blob not yet there, or half of one.
 */
export function writeLayoutIndex(dir: string, manifests: Descriptor[]): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json.tmp'), JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests }));
  renameSync(join(dir, 'index.json.tmp'), join(dir, 'index.json'));
}
