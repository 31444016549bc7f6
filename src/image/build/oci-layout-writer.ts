// Writes a built image as an OCI image layout directory (image-spec image-layout.md): oci-layout,
// index.json, blobs/sha256/<hex>. skopeo (`oci:<dir>`), umoci and the image store can read it.
import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayerBlob } from './layer-writer.js';
import type { ImageConfig } from './oci-config.js';
import { MT, type Descriptor, type ImageManifest } from '../oci-types.js';
import { REF_NAME, writeLayoutIndex } from '../oci-layout.js';

export interface WrittenImage {
  manifest: ImageManifest;
  manifestDigest: string;
  configDigest: string;
}

export function blobPath(layoutDir: string, digest: string): string {
  return join(layoutDir, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
}

async function putJsonBlob(layoutDir: string, value: unknown): Promise<Descriptor & { bytes: Buffer }> {
  const bytes = Buffer.from(JSON.stringify(value));
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await writeFile(blobPath(layoutDir, digest), bytes);
  return { mediaType: '', digest, size: bytes.length, bytes };
}

/** Creates the layout's skeleton (idempotent) and a staging dir for layers being written. */
export async function prepareLayout(layoutDir: string): Promise<string> {
  await mkdir(join(layoutDir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(layoutDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const staging = join(layoutDir, '.staging');
  await mkdir(staging, { recursive: true });
  return staging;
}

/** Moves a layer written to a staging file into blobs/ under its digest. */
export async function commitLayer(layoutDir: string, stagedFile: string, blob: LayerBlob): Promise<void> {
  const dest = blobPath(layoutDir, blob.digest);
  try {
    await access(dest);
    await rm(stagedFile, { force: true }); // the same layer is already there (identical bytes)
  } catch {
    await rename(stagedFile, dest);
  }
}

/** Writes config + manifest and makes `refName` (e.g. "latest") point at it in index.json. */
export async function writeImage(layoutDir: string, config: ImageConfig, layers: LayerBlob[], refName?: string): Promise<WrittenImage> {
  const cfg = await putJsonBlob(layoutDir, config);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: cfg.digest, size: cfg.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  const man = await putJsonBlob(layoutDir, manifest);
  writeLayoutIndex(layoutDir, [{ mediaType: MT.ociManifest, digest: man.digest, size: man.size, ...(refName ? { annotations: { [REF_NAME]: refName } } : {}) }]);
  await rm(join(layoutDir, '.staging'), { recursive: true, force: true });
  return { manifest, manifestDigest: man.digest, configDigest: cfg.digest };
}
