// Reading manifests and indexes, and choosing the platform's entry from an index (linux/amd64 by
// default, `--platform os/arch[/variant]` otherwise), the way Docker's platform matcher does.
import { arch } from 'node:os';
import { SkiffError } from '../errors.js';
import { INDEX_TYPES, MANIFEST_TYPES, MT, type Descriptor, type ImageIndex, type ImageManifest, type OciImageConfig, type Platform } from './oci-types.js';

export function defaultPlatform(): Platform {
  const a = arch() === 'x64' ? 'amd64' : arch() === 'arm64' ? 'arm64' : arch();
  return { os: 'linux', architecture: a };
}

export function parsePlatform(s: string | undefined): Platform {
  if (!s) return defaultPlatform();
  const [os, architecture, variant] = s.split('/');
  if (!os || !architecture) throw new SkiffError('EUSAGE', `invalid platform "${s}"`, 'use OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm64/v8');
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export function platformString(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    throw new SkiffError('EMANIFEST', `${what} is not valid JSON`, 'the image is malformed');
  }
}

export function isIndex(mediaType: string, bytes: Buffer): boolean {
  if (INDEX_TYPES.includes(mediaType)) return true;
  if (MANIFEST_TYPES.includes(mediaType)) return false;
  const j = parseJson<{ manifests?: unknown }>(bytes, 'manifest');
  return Array.isArray(j.manifests);
}

function checkDescriptor(d: Descriptor | undefined, what: string): Descriptor {
  if (!d || typeof d.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d.digest) || typeof d.size !== 'number' || d.size < 0) {
    throw new SkiffError('EMANIFEST', `${what} has a malformed descriptor`, 'the image is malformed');
  }
  return d;
}

export function parseIndex(bytes: Buffer): ImageIndex {
  const idx = parseJson<ImageIndex>(bytes, 'image index');
  if (idx.schemaVersion !== 2 || !Array.isArray(idx.manifests)) throw new SkiffError('EMANIFEST', 'image index is not schema version 2 with a manifests list', 'the image is malformed');
  idx.manifests.forEach((d, i) => checkDescriptor(d, `index entry ${i}`));
  return idx;
}

export function parseManifest(bytes: Buffer, mediaType: string): ImageManifest {
  const m = parseJson<ImageManifest & { schemaVersion: number }>(bytes, 'image manifest');
  if (m.schemaVersion !== 2) {
    throw new SkiffError('EMANIFEST', `unsupported manifest schema version ${m.schemaVersion} (${mediaType || 'no media type'})`, 'skiff reads Docker schema 2 and OCI manifests; re-push the image with a current tool');
  }
  checkDescriptor(m.config, 'manifest config');
  if (!Array.isArray(m.layers)) throw new SkiffError('EMANIFEST', 'manifest has no layers list', 'the image is malformed');
  m.layers.forEach((d, i) => checkDescriptor(d, `manifest layer ${i}`));
  for (const l of m.layers) {
    if (l.mediaType === MT.dockerForeignLayer) throw new SkiffError('EMANIFEST', 'image has foreign (Windows) layers', 'skiff runs Linux images only');
  }
  return m;
}

export function parseConfig(bytes: Buffer, layerCount: number): OciImageConfig {
  const c = parseJson<OciImageConfig>(bytes, 'image config');
  if (!c.rootfs || !Array.isArray(c.rootfs.diff_ids)) throw new SkiffError('EMANIFEST', 'image config has no rootfs.diff_ids', 'the image is malformed');
  if (c.rootfs.diff_ids.length !== layerCount) {
    throw new SkiffError('EMANIFEST', `image config lists ${c.rootfs.diff_ids.length} layers but the manifest has ${layerCount}`, 'the image is malformed');
  }
  for (const d of c.rootfs.diff_ids) if (!/^sha256:[a-f0-9]{64}$/.test(d)) throw new SkiffError('EMANIFEST', `image config has a malformed diff id "${d}"`, 'the image is malformed');
  return c;
}

/** Pick the index entry for a platform; architecture variants matched loosely (arm64 ≈ arm64/v8). */
export function selectPlatform(index: ImageIndex, want: Platform, name: string): Descriptor {
  const candidates = index.manifests.filter((d) => d.platform && d.platform.os === want.os && d.platform.architecture === want.architecture);
  const exact = candidates.find((d) => (want.variant ? d.platform!.variant === want.variant : true));
  const chosen = exact ?? (want.variant ? undefined : candidates[0]);
  if (!chosen) {
    const have = index.manifests.filter((d) => d.platform).map((d) => platformString(d.platform!)).join(', ') || 'none listed';
    throw new SkiffError('EMANIFEST', `no matching manifest for ${platformString(want)} in the manifest list entries of ${name} (available: ${have})`, 'choose one of the available platforms with --platform');
  }
  return chosen;
}
