// `save` and `load`: images to and from a tar file, as docker-archive (default, what `docker load`
// reads) or an OCI image layout (`--format oci`). Loading goes through the same verified import as a
// pull; if anything is wrong the load stops with one error line and leaves no new blob, layer or image.
import { createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { SkiffError } from '../errors.js';
import { storePaths } from '../state/paths.js';
import { removeBlob, tmpPath } from './blobs.js';
import { extractArchive, packDirectory } from './archive.js';
import { readDockerArchive, writeDockerArchive } from './docker-archive.js';
import { defaultPlatform } from './manifest.js';
import { isOciLayout, OciLayoutSource, readLayoutIndex, REF_NAME, writeOciLayout } from './oci-layout.js';
import { parseReference, looksLikeImageId, type ImageRef } from './reference.js';
import { listImages, putImage, requireImage, tagOf, withImageStore, displayTag, type ImageRecord } from './store.js';
import { pullFromSource } from './pull.js';
import { layerChainIds, unpackLayers } from './layers.js';
import { removeLayersExcept } from '../layers/layer-store.js';

export type SaveFormat = 'docker-archive' | 'oci';

export async function saveImages(args: string[], format: SaveFormat, output: string | NodeJS.WritableStream): Promise<void> {
  const picked = new Map<string, { record: ImageRecord; tags: string[] }>();
  for (const a of args) {
    const record = requireImage(a);
    const entry = picked.get(record.id) ?? { record, tags: [] };
    const byId = looksLikeImageId(a) && record.id.slice(7).startsWith(a.replace(/^sha256:/, ''));
    const tags = byId ? record.repoTags : [tagOf(parseReference(a))].filter((t): t is string => !!t);
    entry.tags.push(...tags.filter((t) => !entry.tags.includes(t)));
    picked.set(record.id, entry);
  }
  const stage = tmpPath('save');
  mkdirSync(stage, { recursive: true });
  const partial = typeof output === 'string' ? `${output}.skiff-partial` : undefined;
  try {
    let entries: string[];
    if (format === 'oci') {
      writeOciLayout(stage, [...picked.values()].map(({ record, tags }) => ({ record, refNames: tags.map(displayTag) })));
      entries = ['oci-layout', 'index.json', 'blobs'];
    } else {
      entries = await writeDockerArchive(stage, [...picked.values()]);
    }
    await packDirectory(stage, entries, partial ? createWriteStream(partial, { mode: 0o644 }) : (output as NodeJS.WritableStream));
    if (partial) renameSync(partial, output as string);
  } catch (e) {
    if (partial) rmSync(partial, { force: true });
    throw e;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** The name an OCI layout entry carries, when it is a full reference (not a bare tag). */
function layoutEntryRef(ann: Record<string, string> | undefined): ImageRef | undefined {
  const n = ann?.['io.containerd.image.name'] ?? ann?.[REF_NAME];
  if (!n || (!n.includes('/') && !n.includes(':'))) return undefined;
  try {
    const r = parseReference(n);
    return r.digest ? undefined : r;
  } catch {
    return undefined;
  }
}

function blobNames(): Set<string> {
  const d = storePaths().blobs;
  return new Set(existsSync(d) ? readdirSync(d) : []);
}

async function importOciLayout(dir: string): Promise<string[]> {
  const quiet = { line() {}, layer() {}, done() {} };
  const lines: string[] = [];
  const source = new OciLayoutSource(dir, 'the archive');
  for (const d of readLayoutIndex(dir).manifests) {
    const ref = layoutEntryRef(d.annotations);
    const r = await pullFromSource(ref ? { domain: ref.domain, path: ref.path, tag: ref.tag! } : undefined, source, defaultPlatform(), quiet, d.digest);
    lines.push(ref ? `Loaded image: ${displayTag(tagOf(ref)!)}` : `Loaded image ID: ${r.record.id}`);
  }
  return lines;
}

async function importDockerArchive(dir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const img of await readDockerArchive(dir, new Set())) {
    await unpackLayers(img.record.layers);
    const tags = img.tags.map((t) => tagOf(parseReference(t))!).filter(Boolean);
    await withImageStore(() => putImage({ ...img.record, repoTags: tags, repoDigests: [], addedAt: new Date().toISOString() }));
    lines.push(...(tags.length ? tags.map((t) => `Loaded image: ${displayTag(t)}`) : [`Loaded image ID: ${img.record.id}`]));
  }
  return lines;
}

/** Load a tar (file path, or a stream such as stdin); returns the "Loaded image: …" lines. */
export async function loadArchive(input: string | NodeJS.ReadableStream): Promise<string[]> {
  const file = typeof input === 'string' ? input : tmpPath('load-input');
  const stage = tmpPath('load');
  const before = blobNames();
  const imagesBefore = new Set(listImages().map((r) => r.id));
  try {
    if (typeof input !== 'string') await pipeline(input, createWriteStream(file, { mode: 0o600 }));
    if (!existsSync(file)) throw new SkiffError('EUSAGE', `open ${file}: no such file`, 'give an existing archive with -i');
    await extractArchive(file, stage);
    if (isOciLayout(stage)) return await importOciLayout(stage);
    if (existsSync(`${stage}/manifest.json`)) return await importDockerArchive(stage);
    throw new SkiffError('EMANIFEST', 'the archive has neither manifest.json (docker-archive) nor index.json (OCI layout)', 'pass a file made by `skiff save` or `docker save`');
  } catch (e) {
    // nothing half-made: drop blobs and layers this load added that no image holds
    const records = listImages();
    const keep = new Set(records.flatMap((r) => [r.manifest.digest, r.config.digest, ...(r.index ? [r.index.digest] : []), ...r.layers.map((l) => l.digest)].map((d) => d.slice(7))));
    for (const b of blobNames()) if (!before.has(b) && !keep.has(b)) removeBlob(`sha256:${b}`);
    if (records.some((r) => !imagesBefore.has(r.id)) === false) await removeLayersExcept(new Set(records.flatMap((r) => layerChainIds(r.layers)))).catch(() => 0);
    throw e;
  } finally {
    rmSync(stage, { recursive: true, force: true });
    if (typeof input !== 'string') rmSync(file, { force: true });
  }
}
