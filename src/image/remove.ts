// `rmi` and `image prune`. Untag first; delete an image only when no tag is left and no container
// uses it; then free exactly the blobs and unpacked layers that no remaining image holds.
import { SkiffError } from '../errors.js';
import { removeBlob } from './blobs.js';
import { familiarString, fullName, looksLikeImageId, parseReference } from './reference.js';
import { containersUsing, deleteImageRecord, displayTag, findImage, listImages, missingImageName, saveImageRecord, withImageStore, type ImageRecord } from './store.js';
import { layerChainIds } from './layers.js';
import { removeLayersExcept } from '../layers/layer-store.js';
import { recordEvent } from '../state/events.js';

function blobsOf(r: ImageRecord): string[] {
  return [r.manifest.digest, r.config.digest, ...(r.index ? [r.index.digest] : []), ...r.layers.map((l) => l.digest)];
}

/** Delete the record and whatever only it held. Returns the Docker-style "Deleted:" lines. */
async function deleteImage(r: ImageRecord): Promise<string[]> {
  deleteImageRecord(r.id);
  recordEvent('image', 'delete', r.id, { name: r.id });
  const rest = listImages();
  const keepBlobs = new Set(rest.flatMap(blobsOf));
  for (const d of blobsOf(r)) if (!keepBlobs.has(d)) removeBlob(d);
  const keepChains = new Set(rest.flatMap((x) => layerChainIds(x.layers)));
  const gone = layerChainIds(r.layers).filter((c) => !keepChains.has(c)).reverse();
  await removeLayersExcept(keepChains);
  return [`Deleted: ${r.id}`, ...gone.map((c) => `Deleted: ${c}`)];
}

function short(id: string): string {
  return id.slice(7, 19);
}

/** One `rmi` argument, under the store lock. */
export async function removeImage(arg: string, force: boolean): Promise<string[]> {
  return withImageStore(async () => {
    const r = findImage(arg);
    if (!r) throw new SkiffError('ENOIMAGE', `No such image: ${missingImageName(arg)}`, 'list images with `skiff images`');
    const byId = looksLikeImageId(arg) && r.id.slice(7).startsWith(arg.replace(/^sha256:/, ''));
    const users = containersUsing(r.id);
    const out: string[] = [];
    if (!byId) {
      // By name: drop that one tag (or pinned digest); the image goes when it was the last name.
      const ref = parseReference(arg);
      const name = ref.digest ? `${fullName(ref)}@${ref.digest}` : `${fullName(ref)}:${ref.tag}`;
      const lastName = r.repoTags.length <= 1;
      if (lastName && users.length > 0 && !force) {
        throw new SkiffError('EIMAGEINUSE', `conflict: unable to remove repository reference "${arg}" (must force) - container ${users[0]!.slice(0, 12)} is using its referenced image ${short(r.id)}`, 'remove the container first (skiff rm), or use -f to untag anyway');
      }
      r.repoTags = r.repoTags.filter((t) => t !== name);
      if (!ref.digest) out.push(`Untagged: ${familiarString(ref)}`);
      recordEvent('image', 'untag', r.id, { name: r.id });
      if (r.repoTags.length > 0) {
        saveImageRecord(r);
        return out;
      }
      for (const d of r.repoDigests) out.push(`Untagged: ${displayTag(d)}`);
      r.repoDigests = [];
      if (users.length > 0) {
        saveImageRecord(r); // forced: kept untagged (<none>) because a container still stands on it
        return out;
      }
      return [...out, ...(await deleteImage(r))];
    }
    const repos = new Set(r.repoTags.map((t) => t.slice(0, t.lastIndexOf(':'))));
    if (repos.size > 1 && !force) {
      throw new SkiffError('EIMAGEINUSE', `conflict: unable to delete ${short(r.id)} (must be forced) - image is referenced in multiple repositories`, 'remove it by name, or use -f to remove every tag');
    }
    if (users.length > 0 && !force) {
      throw new SkiffError('EIMAGEINUSE', `conflict: unable to delete ${short(r.id)} (must be forced) - image is being used by container ${users[0]!.slice(0, 12)}`, 'remove the container first (skiff rm), or use -f');
    }
    for (const t of [...r.repoTags, ...r.repoDigests]) out.push(`Untagged: ${displayTag(t)}`);
    r.repoTags = [];
    r.repoDigests = [];
    if (users.length > 0) {
      saveImageRecord(r);
      return out;
    }
    return [...out, ...(await deleteImage(r))];
  });
}

/** `image prune`: dangling images (no tag) that no container uses; `all` also unused tagged ones. */
export async function pruneImages(all: boolean): Promise<{ lines: string[]; reclaimed: number }> {
  return withImageStore(async () => {
    const lines: string[] = [];
    let reclaimed = 0;
    for (const r of listImages()) {
      if ((r.repoTags.length > 0 && !all) || containersUsing(r.id).length > 0) continue;
      for (const t of [...r.repoTags, ...r.repoDigests]) lines.push(`untagged: ${displayTag(t)}`);
      const deleted = await deleteImage(r);
      lines.push(...deleted.map((l) => l.replace(/^Deleted/, 'deleted')));
      reclaimed += r.size;
    }
    return { lines, reclaimed };
  });
}
