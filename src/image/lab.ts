// The lab mirror: this machine has no internet, so docker.io references are first looked up in the
// chapter's images built as OCI layouts under rootfs/build/lab/<registry>/<repository>/ (or
// $SKIFF_LAB_DIR). "Pulling" from there goes through the same verified path as a registry pull.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../native.js';
import { isOciLayout, OciLayoutSource, readLayoutIndex, REF_NAME, refNameTag } from './oci-layout.js';
import { DEFAULT_DOMAIN, familiarName, familiarString, type ImageRef } from './reference.js';
import type { OciImageConfig } from './oci-types.js';

export function labDir(): string {
  return process.env.SKIFF_LAB_DIR ?? join(projectRoot(), 'rootfs', 'build', 'lab');
}

/** The lab layout that holds this reference's tag (or digest), if any. */
export function labSource(ref: ImageRef): OciLayoutSource | undefined {
  if (ref.domain !== DEFAULT_DOMAIN) return undefined;
  for (const p of new Set([ref.path, familiarName(ref)])) {
    const dir = join(labDir(), ref.domain, p);
    if (!isOciLayout(dir)) continue;
    if (ref.digest) return existsSync(join(dir, 'blobs', 'sha256', ref.digest.slice(7))) ? new OciLayoutSource(dir, 'lab mirror') : undefined;
    const idx = readLayoutIndex(dir);
    if (idx.manifests.some((d) => d.annotations?.[REF_NAME] !== undefined && refNameTag(d.annotations[REF_NAME]!) === ref.tag)) return new OciLayoutSource(dir, 'lab mirror');
  }
  return undefined;
}

/** The tags the lab mirror has for this repository (empty when it has none of it). */
export function labTags(ref: ImageRef): string[] {
  if (ref.domain !== DEFAULT_DOMAIN) return [];
  for (const p of new Set([ref.path, familiarName(ref)])) {
    const dir = join(labDir(), ref.domain, p);
    if (!isOciLayout(dir)) continue;
    return readLayoutIndex(dir).manifests.map((d) => d.annotations?.[REF_NAME]).filter((n): n is string => !!n).map(refNameTag);
  }
  return [];
}

/** Every image of the lab: `<registry>/<repository>:<tag>` strings, from the layouts on disk. */
export function labImages(): string[] {
  const root = labDir();
  const out: string[] = [];
  const walk = (dir: string, rel: string[]) => {
    if (isOciLayout(dir)) {
      for (const d of readLayoutIndex(dir).manifests) {
        const n = d.annotations?.[REF_NAME];
        if (n) out.push(`${rel.join('/')}:${refNameTag(n)}`);
      }
      return;
    }
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p, [...rel, e]);
    }
  };
  if (existsSync(root)) walk(root, []);
  return out.sort();
}

/**
 * The lab mirror cannot have every upstream version (it builds from Debian packages): an image that
 * stands in for a tag the chapter names carries labels saying so (rootfs/recipes.ts). The note, when
 * `ref` is one of the names it stands in for; printed as one line when it is pulled.
 */
export function standInNote(config: OciImageConfig, ref: ImageRef): string | undefined {
  const labels = config.config?.Labels ?? {};
  const names = (labels['io.skiff.lab.stands-in-for'] ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  const note = labels['io.skiff.lab.note'];
  return note && names.includes(familiarString(ref)) ? `Note: ${note}` : undefined;
}
