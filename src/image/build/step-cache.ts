// The build cache, keyed as Docker's classic builder keys it: a step is reused when the same
// instruction (with the same ARGs in scope) ran on the same parent image, and — for COPY/ADD — the
// copied files have the same checksum (content, mode, owner, link target; not mtime, as Docker).
// The parent is named by its image id (sha256 of its config, which lists every layer and history
// entry), so a hit for step n implies hits for steps 1..n-1 and an unchanged rebuild ends on the same
// config bytes, hence the same image id. Entries live in `<store>/build-cache/<key>.json` (the config
// after the step, plus the layer it added, whose blob is kept in the store's blobs/); an entry whose
// blob has gone (`rmi`, `image prune`) is a miss.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { storePaths } from '../../state/paths.js';
import { blobPath, storeBlobFromFile } from '../blobs.js';
import type { ImageConfig } from './oci-config.js';
import type { LayerBlob, LayerEntry } from './layer-writer.js';

export interface CachedStep {
  config: ImageConfig;
  /** The layer the step added (RUN, COPY, ADD, a WORKDIR in a scratch stage), if any. */
  layer?: LayerBlob;
}

export interface StepCache {
  get(key: string): { step: CachedStep; layerPath?: string } | undefined;
  /** Records a step; `layerFile` is where its blob is now (it is copied into the store). */
  put(key: string, step: CachedStep, layerFile?: string): Promise<void>;
}

/** The image id a config has: sha256 of its JSON bytes, as the built image's config blob. */
export function configId(config: ImageConfig): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(config)).digest('hex')}`;
}

/** A step's key: its parent image id and everything that decides what the step makes. */
export function stepKey(parentId: string, parts: string[]): string {
  const h = createHash('sha256').update(parentId);
  for (const p of parts) h.update('\0').update(p);
  return h.digest('hex');
}

/** Checksum of COPY/ADD's entries: names, types, modes, owners, link targets and file contents. */
export async function entriesChecksum(entries: LayerEntry[]): Promise<string> {
  const h = createHash('sha256');
  for (const e of entries) {
    h.update(JSON.stringify([e.name, e.type, e.mode, e.uid, e.gid, e.size, e.linkname ?? '', e.devmajor ?? 0, e.devminor ?? 0]));
    if (e.type === 'file' && e.source && e.size > 0) {
      for await (const chunk of createReadStream(e.source)) h.update(chunk as Buffer);
    }
  }
  return h.digest('hex');
}

/** The cache in the image store. */
export function storeStepCache(): StepCache {
  const dir = join(storePaths().data, 'build-cache');
  return {
    get(key) {
      const file = join(dir, `${key}.json`);
      if (!existsSync(file)) return undefined;
      try {
        const step = JSON.parse(readFileSync(file, 'utf8')) as CachedStep;
        if (!step.layer) return { step };
        const path = blobPath(step.layer.digest);
        return existsSync(path) ? { step, layerPath: path } : undefined;
      } catch {
        return undefined; // a damaged entry is a miss; the step runs and rewrites it
      }
    },
    async put(key, step, layerFile) {
      if (step.layer && layerFile && !existsSync(blobPath(step.layer.digest))) await storeBlobFromFile(layerFile);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const tmp = join(dir, `.${key}.${process.pid}.tmp`);
      writeFileSync(tmp, JSON.stringify(step));
      renameSync(tmp, join(dir, `${key}.json`));
    },
  };
}

/** Forgets every cached step (`POST /build/prune`); the blobs go with the next image prune. */
export function pruneStepCache(): { entries: string[]; bytes: number } {
  const dir = join(storePaths().data, 'build-cache');
  if (!existsSync(dir)) return { entries: [], bytes: 0 };
  const entries: string[] = [];
  let bytes = 0;
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    bytes += statSync(file).size;
    rmSync(file, { force: true });
    if (name.endsWith('.json')) entries.push(name.slice(0, -5));
  }
  return { entries, bytes };
}
