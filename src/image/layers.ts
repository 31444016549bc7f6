// The bridge to src/layers: hand an image's verified layer blobs to the layer store, which unpacks each
// once per chain id and returns the directories to stack (lowest first).
import { ensureLayers, chainIds, layerDiffSize, type EnsureHooks } from '../layers/layer-store.js';
import { blobPath } from './blobs.js';
import type { ImageRecord, LayerRecord } from './store.js';

export async function unpackLayers(layers: LayerRecord[], hooks?: EnsureHooks): Promise<string[]> {
  const { dirs } = await ensureLayers(layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType, blobPath: blobPath(l.digest), diffId: l.diffId })), hooks);
  return dirs;
}

export function layerChainIds(layers: LayerRecord[]): string[] {
  return chainIds(layers.map((l) => l.diffId));
}

/**
 * Each layer's unpacked size, as Docker's classic store reports a layer's DiffSize (src/layers/diff-size.ts);
 * a layer not unpacked (yet) counts its compressed blob instead.
 */
export function layerSizes(layers: LayerRecord[]): number[] {
  const ids = layerChainIds(layers);
  return layers.map((l, i) => layerDiffSize(ids[i]!) ?? l.size);
}

/** What `images` shows as SIZE and the API as Size: the image's unpacked size, as Docker shows it. */
export function unpackedSize(record: ImageRecord): number {
  return layerSizes(record.layers).reduce((a, b) => a + b, 0);
}
