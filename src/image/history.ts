// `history`: an image's build steps, newest first, in moby's ImageHistory shape — the data behind
// `skiff history` and `GET /images/{name}/history`. Each entry of the config's `history` that made a
// layer (not `empty_layer`) carries that layer's unpacked size; the newest entry carries the image id
// and its tags, the older ones `<missing>` (skiff keeps no intermediate images, nor does a pulled
// image come with its parents).
import { readBlob } from './blobs.js';
import { layerSizes } from './layers.js';
import { parseConfig } from './manifest.js';
import { displayTag, requireImage } from './store.js';

export interface HistoryEntry {
  Id: string;
  /** Unix seconds. */
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export function imageHistory(name: string): HistoryEntry[] {
  const record = requireImage(name);
  const config = parseConfig(readBlob(record.config.digest), record.layers.length);
  const sizes = layerSizes(record.layers);
  let layer = 0;
  const entries: HistoryEntry[] = (config.history ?? []).map((h) => {
    const size = h.empty_layer ? 0 : (sizes[layer++] ?? 0);
    const t = h.created ? Date.parse(h.created) : NaN;
    return { Id: '<missing>', Created: Number.isNaN(t) ? 0 : Math.floor(t / 1000), CreatedBy: h.created_by ?? '', Tags: null, Size: size, Comment: h.comment ?? '' };
  });
  entries.reverse();
  if (entries[0]) {
    entries[0].Id = record.id;
    entries[0].Tags = record.repoTags.map(displayTag);
  }
  return entries;
}
