// Named volumes (`skiff volume create data`, `-v data:/var/lib/x`): a directory under the store,
// `volumes/<name>/_data` as Docker lays it out, with a small record beside it.
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../errors.js';
import { storePaths } from '../state/paths.js';
import { readJsonIfExists, writeJsonAtomic } from '../state/atomic.js';
import { nowIso } from '../state/container-record.js';
import { recordEvent } from '../state/events.js';
import { localVolumeMount } from './local-driver.js';

export interface VolumeRecord {
  Name: string; Driver: 'local'; Mountpoint: string; CreatedAt: string; Labels: Record<string, string>; Scope: 'local';
  /** The local driver's options (type, device, o): acted on when a container mounts it (local-driver.ts). */
  Options?: Record<string, string>;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** A volume is a directory named after it (NAME_MAX 255): longer names would fail late with ENAMETOOLONG. */
export const MAX_VOLUME_NAME = 253;

export function isVolumeName(s: string): boolean {
  return NAME.test(s) && s.length <= MAX_VOLUME_NAME;
}

const dirOf = (name: string) => join(storePaths().volumes, name);

export function getVolume(name: string): VolumeRecord | undefined {
  return readJsonIfExists<VolumeRecord>(join(dirOf(name), 'volume.json'));
}

/** Docker's create is idempotent: an existing volume of that name is returned as it is. */
export function createVolume(name: string, o: { options?: Record<string, string>; labels?: Record<string, string> } = {}): VolumeRecord {
  if (!isVolumeName(name)) throw new SkiffError('EUSAGE', `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed`, 'pick another name');
  const existing = getVolume(name);
  if (existing) return existing;
  try {
    localVolumeMount(o.options); // a bad option fails here, before anything is made
  } catch (e) {
    throw e instanceof SkiffError ? new SkiffError(e.code, `create ${name}: ${e.message}`, e.hint) : e;
  }
  const rec: VolumeRecord = {
    Name: name, Driver: 'local', Mountpoint: join(dirOf(name), '_data'), CreatedAt: nowIso(), Labels: o.labels ?? {}, Scope: 'local',
    // Sorted, as Go writes a map: `volume inspect -f '{{json .Options}}'` prints them in that order.
    ...(o.options && Object.keys(o.options).length ? { Options: Object.fromEntries(Object.entries(o.options).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) } : {}),
  };
  // volumes/<name> is 0700, so no host user reaches what a container (maybe host root) writes in it;
  // _data is the volume's root inside containers, 0755 like any directory an image has.
  mkdirSync(dirOf(name), { recursive: true, mode: 0o700 });
  mkdirSync(rec.Mountpoint, { recursive: true, mode: 0o755 });
  chmodSync(rec.Mountpoint, 0o755); // not 0755 & ~umask
  writeJsonAtomic(join(dirOf(name), 'volume.json'), rec);
  recordEvent('volume', 'create', name, { driver: 'local' });
  return rec;
}

export function listVolumes(): VolumeRecord[] {
  const root = storePaths().volumes;
  if (!existsSync(root)) return [];
  return readdirSync(root).map(getVolume).filter((v): v is VolumeRecord => !!v).sort((a, b) => a.Name.localeCompare(b.Name));
}

export function removeVolume(name: string, usedBy: string[]): void {
  if (!getVolume(name)) throw new SkiffError('ENOCONTAINER', `get ${name}: no such volume`, 'list volumes with `skiff volume ls`', { exitCode: 1 });
  if (usedBy.length) throw new SkiffError('ESTATE', `remove ${name}: volume is in use - [${usedBy.join(', ')}]`, 'remove those containers first', { exitCode: 1 });
  rmSync(dirOf(name), { recursive: true, force: true });
  recordEvent('volume', 'destroy', name, { driver: 'local' });
}
