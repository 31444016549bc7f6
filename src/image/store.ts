// Image records: images/<config hex>.json, one per image, keyed by the image id (= config digest).
//   repoTags     full names (`docker.io/diamol/base:latest`); a tag belongs to exactly one image
//   repoDigests  `docker.io/diamol/base@sha256:<manifest or index digest>` as pulled
// Every mutation runs under one store lock (images.lock), so concurrent CLIs never lose a tag.
// Blobs and layers are not counted on disk: what an image holds is derived from the records, so
// "unused" is exactly "held by no remaining record" (see remove.ts).
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../errors.js';
import { storePaths } from '../state/paths.js';
import { withLock } from '../state/lock.js';
import { readJson, readJsonIfExists, writeJsonAtomic } from '../state/atomic.js';
import { digestHex } from './blobs.js';
import { familiarString, fullName, looksLikeImageId, parseReference, type ImageRef } from './reference.js';
import type { Descriptor } from './oci-types.js';

export interface LayerRecord extends Descriptor { diffId: string }

export interface ImageRecord {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** The platform manifest that describes this image (stored as a blob). */
  manifest: { digest: string; mediaType: string; size: number };
  /** The index/manifest list it was chosen from, when there was one (stored as a blob too). */
  index?: { digest: string; mediaType: string; size: number };
  config: Descriptor;
  layers: LayerRecord[];
  created?: string;
  /** Bytes of the layer blobs plus config, what `images` shows. */
  size: number;
  platform: string;
  addedAt: string;
}

function recordPath(id: string): string {
  return join(storePaths().images, `${digestHex(id)}.json`);
}

export function withImageStore<R>(fn: () => Promise<R> | R): Promise<R> {
  return withLock(join(storePaths().locks, 'images.lock'), fn, 5 * 60_000);
}

export function listImages(): ImageRecord[] {
  const dir = storePaths().images;
  if (!existsSync(dir)) return [];
  const out: ImageRecord[] = [];
  for (const f of readdirSync(dir)) {
    if (!/^[a-f0-9]{64}\.json$/.test(f)) continue;
    const r = readJsonIfExists<ImageRecord>(join(dir, f));
    if (r) out.push(r);
  }
  return out;
}

export function getImage(id: string): ImageRecord | undefined {
  return readJsonIfExists<ImageRecord>(recordPath(id));
}

export function saveImageRecord(r: ImageRecord): void {
  mkdirSync(storePaths().images, { recursive: true });
  writeJsonAtomic(recordPath(r.id), r);
}

export function deleteImageRecord(id: string): void {
  rmSync(recordPath(id), { force: true });
}

export function tagOf(ref: ImageRef): string | undefined {
  return ref.tag ? `${fullName(ref)}:${ref.tag}` : undefined;
}

/** Move `tag` (full form) onto `id`, taking it from whichever image held it. Call under the lock. */
export function assignTag(id: string, tag: string): void {
  for (const other of listImages()) {
    if (other.id !== id && other.repoTags.includes(tag)) {
      other.repoTags = other.repoTags.filter((t) => t !== tag);
      saveImageRecord(other);
    }
  }
  const r = getImage(id);
  if (!r) throw new SkiffError('ENOIMAGE', `No such image: ${id}`, 'list images with `skiff images`');
  if (!r.repoTags.includes(tag)) {
    r.repoTags.push(tag);
    saveImageRecord(r);
  }
}

/** Insert or merge a record (same id → union of tags and digests), then claim its tags. Call under the lock. */
export function putImage(r: ImageRecord): ImageRecord {
  const old = getImage(r.id);
  const merged: ImageRecord = old
    ? { ...r, repoTags: [...new Set([...old.repoTags, ...r.repoTags])], repoDigests: [...new Set([...old.repoDigests, ...r.repoDigests])], addedAt: old.addedAt }
    : r;
  saveImageRecord(merged);
  for (const t of r.repoTags) assignTag(r.id, t);
  return getImage(r.id)!;
}

/**
 * Resolve what a user typed: a name (`diamol/base`, `diamol/base:latest`, `localhost:5000/x:y`),
 * a pinned name (`x@sha256:…`), a full id (`sha256:…`) or an unambiguous id prefix (`787fe221a14f`).
 */
export function findImage(s: string): ImageRecord | undefined {
  const images = listImages();
  if (looksLikeImageId(s)) {
    const hex = s.replace(/^sha256:/, '');
    const hits = images.filter((r) => r.id.slice(7).startsWith(hex));
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) throw new SkiffError('EREFERENCE', `short image id "${s}" is ambiguous`, 'give more digits of the id');
    if (s.startsWith('sha256:')) return undefined;
    // fall through: a hex-looking name such as "cafe" may still be a repository
  }
  let ref: ImageRef;
  try {
    ref = parseReference(s);
  } catch (e) {
    if (looksLikeImageId(s)) return undefined;
    throw e;
  }
  if (ref.digest) {
    const pinned = `${fullName(ref)}@${ref.digest}`;
    return images.find((r) => r.repoDigests.includes(pinned) || (r.manifest.digest === ref.digest && r.repoDigests.some((d) => d.startsWith(`${fullName(ref)}@`))));
  }
  const tag = tagOf(ref)!;
  return images.find((r) => r.repoTags.includes(tag));
}

export function requireImage(s: string): ImageRecord {
  const r = findImage(s);
  if (!r) throw new SkiffError('ENOIMAGE', `No such image: ${missingImageName(s)}`, 'list images with `skiff images`, or pull it with `skiff pull`');
  return r;
}

/** How moby names an image it does not have: an id as typed, a name in its familiar form with its tag (`x:latest`). */
export function missingImageName(s: string): string {
  if (looksLikeImageId(s)) return s;
  try {
    return familiarString(parseReference(s));
  } catch {
    return s;
  }
}

/** Familiar form of a stored full tag: `docker.io/library/nginx:1.28.0` → `nginx:1.28.0`. */
export function displayTag(fullTag: string): string {
  return familiarString(parseReference(fullTag));
}

/** Ids of containers (directories under containers/) whose config.json uses this image. */
export function containersUsing(id: string): string[] {
  const dir = storePaths().containers;
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const c of readdirSync(dir)) {
    try {
      const cfg = readJson<{ Image?: string }>(join(dir, c, 'config.json'));
      if (cfg.Image === id) out.push(c);
    } catch {
      // a container directory being created or removed right now: not a user of anything yet
    }
  }
  return out;
}
