// How much disk one layer may take once unpacked. Compression hides size: a 9 MB gzip of zeros is a
// 2 GB file, and a few MB of tar headers are millions of inodes. The gate counts every entry's cost
// *before* GNU tar writes it and stops the unpack at the limit, so a layer bomb never fills the disk.
//
//   SKIFF_MAX_LAYER_SIZE   the cap per layer ("20g", "512m", bytes); default 20 GiB
//   and never more than the store's filesystem has free, minus 5 % of it, when the unpack starts.
import { statfsSync } from 'node:fs';
import { SkiffError } from '../errors.js';
import { bytesSize, parseBinarySize } from '../format/size.js';

export const DEFAULT_MAX_LAYER_BYTES = 20 * 1024 ** 3;
/** What one entry costs on disk at least (an inode, a directory entry): 4 KiB, a filesystem block. */
export const ENTRY_COST = 4096;

/** Disk an entry of `size` content bytes takes, as `du` would count it (rounded up to blocks). */
export function entryCost(size: number): number {
  return Math.max(ENTRY_COST, Math.ceil(size / ENTRY_COST) * ENTRY_COST);
}

export interface LayerLimit { bytes: number; why: string }

export function configuredLimit(env: NodeJS.ProcessEnv = process.env): LayerLimit {
  const text = env.SKIFF_MAX_LAYER_SIZE;
  if (text === undefined || text === '') return { bytes: DEFAULT_MAX_LAYER_BYTES, why: `the default limit of ${bytesSize(DEFAULT_MAX_LAYER_BYTES)} per layer` };
  const bytes = parseBinarySize(text);
  if (bytes === undefined || bytes <= 0) {
    throw new SkiffError('EUSAGE', `invalid SKIFF_MAX_LAYER_SIZE "${text}"`, 'give a size such as 20g, 512m or a number of bytes');
  }
  return { bytes, why: `SKIFF_MAX_LAYER_SIZE=${text}` };
}

/** The limit for a layer unpacked into a directory on the filesystem holding `dir`. */
export function layerLimit(dir: string, env: NodeJS.ProcessEnv = process.env): LayerLimit {
  const cap = configuredLimit(env);
  let free: number;
  try {
    const s = statfsSync(dir);
    free = (s.bavail - s.blocks * 0.05) * s.bsize;
  } catch {
    return cap;
  }
  if (free >= cap.bytes) return cap;
  return { bytes: Math.max(0, Math.floor(free)), why: `the free space of the store's filesystem (keeping 5 % of it free)` };
}
