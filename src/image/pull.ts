// Pulling one image from a source into the store, printing Docker's lines:
//   latest: Pulling from diamol/ch02-hello-diamol
//   941f399634ec: Already exists | Pull complete
//   Digest: sha256:…
//   Status: Downloaded newer image for diamol/ch02-hello-diamol:latest   (or: Image is up to date for …)
// Layers download three at a time; each blob is verified by digest and size before it is renamed into
// blobs/, under a per-blob lock so concurrent pulls fetch it once. Each layer is unpacked as soon as its
// blob is in, while the others still download or unpack.
import { SkiffError } from '../errors.js';
import { hasBlob, readBlob, storeBlobBytes, storeBlobFromStream, TruncatedBlobError, withBlobLock } from './blobs.js';
import { isIndex, parseConfig, parseIndex, parseManifest, platformString, selectPlatform } from './manifest.js';
import type { Descriptor, OciImageConfig, Platform } from './oci-types.js';
import type { Progress } from './progress.js';
import { familiarString, fullName, manifestReference, type ImageRef } from './reference.js';
import type { ImageSource } from './source.js';
import { getImage, putImage, tagOf, withImageStore, type ImageRecord, type LayerRecord } from './store.js';
import { unpackLayers } from './layers.js';
import { setTimeout as sleep } from 'node:timers/promises';

const PARALLEL_DOWNLOADS = 3;
const BLOB_ATTEMPTS = 3;

export interface PullResult { record: ImageRecord; config: OciImageConfig; layerDirs: string[]; downloaded: boolean }

/** Fetch one blob into the store unless present; retried when the stream broke (not on a bad digest). */
export async function fetchBlob(source: ImageSource, desc: Descriptor, onBytes?: (n: number) => void): Promise<boolean> {
  if (hasBlob(desc.digest)) return false;
  return withBlobLock(desc.digest, async () => {
    if (hasBlob(desc.digest)) return false; // another pull finished it while we waited
    for (let attempt = 1; ; attempt++) {
      try {
        await storeBlobFromStream(desc, await source.openBlob(desc), onBytes);
        return true;
      } catch (e) {
        if (!(e instanceof TruncatedBlobError) || !source.retryBlobs || attempt >= BLOB_ATTEMPTS) throw e;
        await sleep(Number(process.env.SKIFF_RETRY_BASE_MS ?? 200) * attempt);
      }
    }
  });
}

/** At most `n` of the functions given to the returned runner at once; after a failure none start. */
function limiter(n: number): <R>(fn: () => Promise<R>) => Promise<R> {
  let running = 0;
  let failed = false;
  const queue: Array<() => void> = [];
  return (fn) => new Promise((resolve, reject) => {
    const start = (): void => {
      if (failed) return void reject(new SkiffError('EREGISTRY', 'download not started: another one failed', 'see the first error'));
      running++;
      fn().then(resolve, (e: unknown) => {
        failed = true;
        reject(e);
      }).finally(() => {
        running--;
        queue.shift()?.();
      });
    };
    if (running < n) start();
    else queue.push(start);
  });
}

/**
 * `ref` names the image (its tag goes into the store); without one (an untagged image of a loaded
 * archive) the image is imported by `reference` alone and no header or status lines are printed.
 */
export async function pullFromSource(ref: ImageRef | undefined, source: ImageSource, platform: Platform, progress: Progress, reference = manifestReference(ref!)): Promise<PullResult> {
  if (ref) progress.line(`${ref.digest ?? ref.tag}: Pulling from ${ref.path}`);
  const name = ref ? familiarString(ref) : reference;
  const top = await source.getManifest(reference);
  let chosen = top;
  let index: ImageRecord['index'];
  if (isIndex(top.mediaType, top.bytes)) {
    const idx = parseIndex(top.bytes);
    const d = selectPlatform(idx, platform, name);
    chosen = await source.getManifest(d.digest);
    if (chosen.digest !== d.digest) throw new SkiffError('EDIGEST', `platform manifest does not match its digest ${d.digest}`, 'the source served wrong content');
    if (isIndex(chosen.mediaType, chosen.bytes)) throw new SkiffError('EMANIFEST', 'nested image indexes are not supported', 'point skiff at a platform manifest');
    index = { digest: top.digest, mediaType: top.mediaType, size: top.bytes.length };
  }
  const manifest = parseManifest(chosen.bytes, chosen.mediaType);

  await fetchBlob(source, manifest.config);
  const config = parseConfig(readBlob(manifest.config.digest), manifest.layers.length);
  if (!index && (config.os !== platform.os || config.architecture !== platform.architecture)) {
    throw new SkiffError('EMANIFEST', `image ${name} is for ${config.os}/${config.architecture}, not ${platformString(platform)}`, 'pull an image built for this platform, or pass --platform');
  }
  const layers: LayerRecord[] = manifest.layers.map((l, i) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size, diffId: config.rootfs.diff_ids[i]! }));
  const id = manifest.config.digest;
  const before = getImage(id);

  const short = (d: string) => d.slice(7, 19);
  const present = new Set(layers.filter((l) => hasBlob(l.digest)).map((l) => l.digest));
  for (const l of layers) progress.layer(short(l.digest), present.has(l.digest) ? 'Already exists' : 'Pulling fs layer');
  // A pipeline: each layer unpacks as soon as its blob is verified in the store, beside the
  // downloads still running and the other layers' unpacks (src/layers unpacks each on its own).
  let downloaded = false;
  const slot = limiter(PARALLEL_DOWNLOADS);
  const downloads = new Map<string, Promise<void>>();
  for (const l of layers) {
    if (present.has(l.digest) || downloads.has(l.digest)) continue;
    const p = slot(async () => {
      let got = 0;
      const fetched = await fetchBlob(source, l, (n) => {
        got += n;
        progress.layer(short(l.digest), 'Downloading', got, l.size);
      });
      downloaded ||= fetched;
      progress.layer(short(l.digest), 'Download complete');
    });
    p.catch(() => {}); // reported through unpackLayers (ready) or the allSettled below
    downloads.set(l.digest, p);
  }
  let layerDirs: string[];
  try {
    layerDirs = await unpackLayers(layers, {
      ready: (i) => downloads.get(layers[i]!.digest) ?? Promise.resolve(),
      unpacking: (i) => {
        if (!present.has(layers[i]!.digest)) progress.layer(short(layers[i]!.digest), 'Extracting');
      },
      done: (i) => {
        if (!present.has(layers[i]!.digest)) progress.layer(short(layers[i]!.digest), 'Pull complete');
      },
    });
  } finally {
    // on failure too: nothing may still be writing into tmp/ when the pull returns
    await Promise.allSettled(downloads.values());
  }
  for (const p of downloads.values()) await p; // a failed download that no unpack waited for

  storeBlobBytes(chosen.bytes, chosen.digest);
  if (index) storeBlobBytes(top.bytes, top.digest);
  const tag = ref ? tagOf(ref) : undefined;
  const record = await withImageStore(() =>
    putImage({
      id,
      repoTags: tag ? [tag] : [],
      repoDigests: ref ? [`${fullName(ref)}@${top.digest}`] : [],
      manifest: { digest: chosen.digest, mediaType: chosen.mediaType, size: chosen.bytes.length },
      ...(index ? { index } : {}),
      config: manifest.config,
      layers,
      ...(config.created ? { created: config.created } : {}),
      size: manifest.config.size + layers.reduce((s, l) => s + l.size, 0),
      platform: platformString({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) }),
      addedAt: new Date().toISOString(),
    }),
  );
  const isNew = downloaded || !before || (tag !== undefined && !before.repoTags.includes(tag));
  if (ref) {
    progress.line(`Digest: ${top.digest}`);
    progress.line(isNew ? `Status: Downloaded newer image for ${name}` : `Status: Image is up to date for ${name}`);
  }
  progress.done();
  return { record, config, layerDirs, downloaded: isNew };
}
