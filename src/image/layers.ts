// The bridge to src/layers: hand an image's verified layer blobs to the layer store, which unpacks each
// once per chain id and returns the directories to stack (lowest first).
import { ensureLayers, chainIds } from '../layers/layer-store.js';
import { blobPath } from './blobs.js';
import type { LayerRecord } from './store.js';

export async function unpackLayers(layers: LayerRecord[]): Promise<string[]> {
  const { dirs } = await ensureLayers(layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType, blobPath: blobPath(l.digest), diffId: l.diffId })));
  return dirs;
}

export function layerChainIds(layers: LayerRecord[]): string[] {
  return chainIds(layers.map((l) => l.diffId));
}
