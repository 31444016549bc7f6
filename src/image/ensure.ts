// What `run` calls: the image for a reference, pulled when missing (Docker's wording on `out`),
// with its parsed config and its unpacked layer directories (lowest first) ready to stack.
import { SkiffError } from '../errors.js';
import { readBlob } from './blobs.js';
import { parseConfig, parsePlatform } from './manifest.js';
import type { OciImageConfig, Platform } from './oci-types.js';
import { plainProgress, type Progress } from './progress.js';
import { familiarName, familiarString, parseReference, type ImageRef } from './reference.js';
import { findImage, type ImageRecord } from './store.js';
import { unpackLayers } from './layers.js';
import { labSource, labTags, standInNote } from './lab.js';
import { pullFromSource, type PullResult } from './pull.js';
import { recordEvent } from '../state/events.js';
import type { Credentials } from './registry/credentials.js';

export type { OciImageConfig } from './oci-types.js';

export interface EnsuredImage {
  id: string;
  ref: string;
  config: OciImageConfig;
  layerDirs: string[];
}

export interface PullOptions { platform?: string; insecureRegistries?: string[]; credentials?: Credentials }

/** Pull a reference from the lab mirror (docker.io) or its registry. */
export async function pullReference(ref: ImageRef, progress: Progress, opts: PullOptions = {}): Promise<PullResult> {
  const platform: Platform = parsePlatform(opts.platform);
  const pulled = await pullFromSomewhere(ref, platform, progress, opts);
  // moby names the pull event after the reference as given (familiar form), with the name attribute.
  recordEvent('image', 'pull', familiarString(ref), { name: familiarString(ref) });
  return pulled;
}

async function pullFromSomewhere(ref: ImageRef, platform: Platform, progress: Progress, opts: PullOptions): Promise<PullResult> {
  const lab = labSource(ref);
  if (lab) {
    const r = await pullFromSource(ref, lab, platform, progress);
    const note = standInNote(r.config, ref);
    if (note) progress.line(note);
    return r;
  }
  const { RegistryClient } = await import('./registry/client.js');
  const { RegistrySource } = await import('./registry-source.js');
  const client = new RegistryClient(ref.domain, { ...(opts.insecureRegistries ? { insecureRegistries: opts.insecureRegistries } : {}), ...(opts.credentials ? { credentials: opts.credentials } : {}) });
  try {
    return await pullFromSource(ref, new RegistrySource(client, ref.path), platform, progress);
  } catch (e) {
    // Offline, the lab mirror is all there is: say which tags of this repository it does have.
    const tags = labTags(ref);
    if (tags.length && e instanceof SkiffError && (e.code === 'EREGISTRY' || e.code === 'ENOIMAGE')) {
      const name = familiarName(ref);
      throw new SkiffError('ENOIMAGE', `${name}:${ref.tag ?? ref.digest} is not in the lab mirror and the registry cannot be reached (${e.message})`,
        `the lab mirror has ${tags.map((t) => `${name}:${t}`).join(', ')}`, { cause: e });
    }
    throw e;
  }
}

export async function ensureImage(input: string, opts: { pull: 'missing' | 'always' | 'never'; out: (line: string) => void; platform?: string; insecureRegistries?: string[] }): Promise<EnsuredImage> {
  let record: ImageRecord | undefined = findImage(input);
  const byId = record !== undefined && !input.includes(':') && record.id.slice(7).startsWith(input.replace(/^sha256:/, ''));
  if (byId && record) return ready(record, input);
  const ref = parseReference(input);
  const name = familiarString(ref);
  if (record && opts.pull !== 'always') return ready(record, name);
  if (!record && opts.pull === 'never') throw new SkiffError('ENOIMAGE', `No such image: ${name}`, 'pull it first with `skiff pull`, or drop --pull=never');
  if (!record) opts.out(`Unable to find image '${name}' locally`);
  try {
    const r = await pullReference(ref, plainProgress(opts.out), { ...(opts.platform ? { platform: opts.platform } : {}), ...(opts.insecureRegistries ? { insecureRegistries: opts.insecureRegistries } : {}) });
    return { id: r.record.id, ref: name, config: r.config, layerDirs: r.layerDirs };
  } catch (e) {
    if (e instanceof SkiffError && (e.code === 'ENOIMAGE' || (e.code === 'EREGISTRY' && ref.domain === 'docker.io'))) {
      throw new SkiffError('ENOIMAGE', `Unable to find image '${name}' locally, and no registry has it`, `${e.message}; check the name, or load the lab images with \`skiff lab load\``, { cause: e });
    }
    throw e;
  }
}

async function ready(record: ImageRecord, name: string): Promise<EnsuredImage> {
  const config = parseConfig(readBlob(record.config.digest), record.layers.length);
  const layerDirs = await unpackLayers(record.layers);
  return { id: record.id, ref: name, config, layerDirs };
}
