// Writes one OCI image layout (image-spec v1.1 "oci-layout" directory): blobs/sha256/<hex>,
// index.json listing the manifest once per tag (annotation org.opencontainers.image.ref.name),
// and the `oci-layout` marker. The layout is built beside its final place and renamed in, so a
// reader never sees half an image.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Layer } from './layer.js';

export const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  index: 'application/vnd.oci.image.index.v1+json',
} as const;

const REF_NAME = 'org.opencontainers.image.ref.name';

/** The runnable part of an image config (Docker's `config` object; only the fields the lab uses). */
export interface RunConfig {
  Env: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  StopSignal?: string;
  Labels?: Record<string, string>;
}

export interface ImageSpec {
  tags: string[];
  layers: Layer[];
  config: RunConfig;
  /** RFC 3339, the same fixed instant for the image and every history entry. */
  created: string;
}

export interface WrittenImage {
  dir: string;
  tags: string[];
  manifestDigest: string;
  manifestSize: number;
  configDigest: string;
  /** Sum of the compressed layer sizes. */
  layersSize: number;
}

function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function putBlob(layoutDir: string, digest: string, from: Buffer | string): void {
  const path = join(layoutDir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  if (existsSync(path)) return;
  if (Buffer.isBuffer(from)) {
    writeFileSync(path, from, { mode: 0o644 });
    return;
  }
  try {
    linkSync(from, path); // the layer cache and the layout share a file system: no copy needed
  } catch {
    copyFileSync(from, path);
  }
}

export function writeLayout(dir: string, spec: ImageSpec): WrittenImage {
  const config = {
    created: spec.created,
    architecture: 'amd64',
    os: 'linux',
    config: spec.config,
    rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => l.diffId) },
    history: spec.layers.map((l) => ({ created: spec.created, created_by: l.createdBy })),
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = digestOf(configBytes);
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, digest: configDigest, size: configBytes.length },
    layers: spec.layers.map((l) => ({ mediaType: MEDIA.layerGzip, digest: l.digest, size: l.size })),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = digestOf(manifestBytes);
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: spec.tags.map((tag) => ({
      mediaType: MEDIA.manifest,
      digest: manifestDigest,
      size: manifestBytes.length,
      platform: { architecture: 'amd64', os: 'linux' },
      annotations: { [REF_NAME]: tag },
    })),
  };

  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'blobs', 'sha256'), { recursive: true });
  try {
    for (const l of spec.layers) putBlob(tmp, l.digest, l.path);
    putBlob(tmp, configDigest, configBytes);
    putBlob(tmp, manifestDigest, manifestBytes);
    writeFileSync(join(tmp, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(join(tmp, 'index.json'), JSON.stringify(index, null, 2));
    mkdirSync(dirname(dir), { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return {
    dir,
    tags: spec.tags,
    manifestDigest,
    manifestSize: manifestBytes.length,
    configDigest,
    layersSize: spec.layers.reduce((s, l) => s + l.size, 0),
  };
}
