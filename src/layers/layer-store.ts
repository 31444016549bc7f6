// Content-addressed store of unpacked layers:  <layers>/<chain id hex>/{diff/, layer.json}
//
// A layer is keyed by its chain id (OCI image spec: ChainID(L0) = DiffID(L0),
// ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))), so two images that share a base share its
// directories. A directory named by a chain id is complete by construction: it is unpacked under a
// hidden `.tmp-<hex>-<rand>` name, its diffId checked, then renamed into place in one step, all under
// a per-chain-id flock — a crash (even kill -9) leaves at worst a `.tmp-*` that the next run removes.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../errors.js';
import { storePaths, readIdMap, inInitialUserNamespace } from '../state/paths.js';
import { acquireLock, withLock } from '../state/lock.js';
import { readJsonIfExists, writeJsonAtomic } from '../state/atomic.js';
import { trace } from '../trace.js';
import { unpackLayer, type UnpackOptions } from './unpack.js';
import { discardTree, removeTree } from './remove-tree.js';
import { diffSize } from './diff-size.js';

export interface LayerRef { digest: string; mediaType: string; blobPath: string; diffId: string }

interface LayerRecord { chainId: string; diffId: string; digest: string; mediaType: string; entries: number; bytes: number; owners: string; diffSize?: number }

const HEX = /^[0-9a-f]{64}$/;
const hexOf = (id: string): string => (id.startsWith('sha256:') ? id.slice(7) : id);

export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    if (!/^sha256:[0-9a-f]{64}$/.test(d)) throw new SkiffError('EMANIFEST', `bad layer diff id ${d}`, 'the image config is malformed');
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}`);
  }
  return out;
}

/** Owners can be kept when chown to any id works: host root, or a user namespace with a full subordinate range. */
function ownersMode(): NonNullable<UnpackOptions['owners']> {
  if (process.geteuid!() !== 0) return 'squash';
  if (inInitialUserNamespace()) return 'keep';
  const ids = readIdMap('/proc/self/uid_map').reduce((n, l) => n + l.count, 0);
  return ids >= 65536 ? 'keep' : 'squash';
}

function layersRoot(): string {
  const root = storePaths().layers;
  // 0700: layers hold setuid binaries and device nodes; host users must not reach them.
  mkdirSync(root, { recursive: true, mode: 0o700 });
  return root;
}

const lockPath = (hex: string): string => join(storePaths().locks, `layer-${hex}.lock`);

function removeStale(root: string, hex: string): void {
  for (const name of readdirSync(root)) if (name.startsWith(`.tmp-${hex}-`) || name.startsWith(`.trash-${hex}-`)) removeTree(join(root, name));
}

async function ensureOne(root: string, chainId: string, layer: LayerRef, owners: NonNullable<UnpackOptions['owners']>, starting: () => void): Promise<void> {
  const hex = hexOf(chainId);
  const final = join(root, hex);
  if (existsSync(final)) return;
  await withLock(lockPath(hex), async () => {
    if (existsSync(final)) return; // someone else unpacked it while we waited
    starting();
    removeStale(root, hex);
    const tmp = join(root, `.tmp-${hex}-${randomBytes(4).toString('hex')}`);
    mkdirSync(tmp, { mode: 0o700 });
    try {
      const r = await unpackLayer(layer.blobPath, layer.mediaType, join(tmp, 'diff'), { owners });
      if (r.diffId !== layer.diffId) {
        throw new SkiffError('EDIGEST', `layer ${layer.digest} unpacks to ${r.diffId}, but the image config says ${layer.diffId}`, 'the image is corrupt or was tampered with: remove it and pull again');
      }
      const rec: LayerRecord = { chainId, diffId: r.diffId, digest: layer.digest, mediaType: layer.mediaType, entries: r.entries, bytes: r.bytes, owners, diffSize: diffSize(join(tmp, 'diff')) };
      writeJsonAtomic(join(tmp, 'layer.json'), rec);
      trace.step('fs', `rename ${tmp} → ${final}`, 'a layer directory appears whole or not at all');
      renameSync(tmp, final);
    } catch (e) {
      removeTree(tmp);
      throw e;
    }
  });
}

/** How many layers unpack at once: each is its own GNU tar (and gunzip on a pool thread), and a
 *  layer needs nothing from the one below it (each is unpacked on its own, as containers-storage does). */
const PARALLEL_UNPACKS = 3;

export interface EnsureHooks {
  /** Awaited before layer i is looked at: a pull resolves it when the layer's blob is in the store. */
  ready?: (i: number) => Promise<void>;
  /** Layer i is about to be unpacked by this process (not already there). */
  unpacking?: (i: number) => void;
  /** Layer i is in the store (unpacked now or found). */
  done?: (i: number) => void;
}

/**
 * Ensure each layer is unpacked once; returns chain ids and lowerdir paths, lowest first. Layers
 * unpack in parallel (a chain id names a directory of its own), each whole-or-nothing under its lock;
 * the first failure stops new ones from starting and is thrown once the running ones have settled.
 */
export async function ensureLayers(layers: LayerRef[], hooks: EnsureHooks = {}): Promise<{ chainIds: string[]; dirs: string[] }> {
  const ids = chainIds(layers.map((l) => l.diffId));
  const root = layersRoot();
  const owners = ownersMode();
  let next = 0;
  let failed: { e: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < layers.length && !failed) {
      const i = next++;
      try {
        await hooks.ready?.(i);
        if (failed) return;
        await ensureOne(root, ids[i]!, layers[i]!, owners, () => hooks.unpacking?.(i));
        hooks.done?.(i);
      } catch (e) {
        failed ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_UNPACKS, layers.length) }, lane));
  if (failed) throw failed.e;
  return { chainIds: ids, dirs: ids.map((id) => join(root, hexOf(id), 'diff')) };
}

/**
 * An unpacked layer's size as Docker counts it (diff-size.ts), or undefined when it is not unpacked.
 * Layers unpacked before the size was recorded are measured once and their layer.json completed.
 */
export function layerDiffSize(chainId: string): number | undefined {
  const dir = join(storePaths().layers, hexOf(chainId));
  const rec = readJsonIfExists<LayerRecord>(join(dir, 'layer.json'));
  if (!rec) return undefined;
  if (rec.diffSize !== undefined) return rec.diffSize;
  try {
    rec.diffSize = diffSize(join(dir, 'diff'));
    writeJsonAtomic(join(dir, 'layer.json'), rec);
    return rec.diffSize;
  } catch {
    return rec.bytes; // removed meanwhile, or not ours to write: the content bytes are near enough
  }
}

/** Delete layer dirs whose chain id is not in `keep` (ids with or without `sha256:`). Returns freed bytes (file content). */
export async function removeLayersExcept(keep: Set<string>): Promise<number> {
  const root = storePaths().layers;
  if (!existsSync(root)) return 0;
  const keepHex = new Set([...keep].map(hexOf));
  let freed = 0;
  for (const name of readdirSync(root)) {
    const stale = /^\.(tmp|trash)-([0-9a-f]{64})-/.exec(name);
    const hex = HEX.test(name) ? name : stale?.[2];
    if (!hex || (!stale && keepHex.has(hex))) continue;
    let lock;
    try {
      lock = await acquireLock(lockPath(hex), 0); // busy: being unpacked right now; leave it
    } catch (e) {
      if (e instanceof SkiffError && e.code === 'ELOCKED') continue;
      throw e;
    }
    try {
      const p = join(root, name);
      if (stale) {
        removeTree(p);
        continue;
      }
      freed += readJsonIfExists<LayerRecord>(join(p, 'layer.json'))?.bytes ?? 0;
      trace.step('fs', `remove layer ${hex}`, 'no image uses it any more');
      discardTree(p);
    } finally {
      lock.release();
    }
  }
  return freed;
}
