// HostConfig.Mounts of POST /containers/create → the mount entries `skiff run --mount` makes, so a
// mount the docker CLI sends (`docker run --mount …`, compose's long volume syntax) is applied by the same
// engine code as skiff's own flag. Checked as moby's daemon checks them (volume/mounts/validate.go), with
// its messages; a field skiff does not implement is a 400 that names it, never silently dropped.
import { posix } from 'node:path';
import type { MountEntry } from '../state/container-record.js';
import { isVolumeName } from '../volumes/store.js';
import { ApiError } from './errors.js';
import { localVolumeMount } from '../volumes/local-driver.js';
import { SkiffError } from '../errors.js';

type Json = Record<string, unknown>;

/** The Mount fields skiff applies; any other with a non-zero value is refused by name. */
const MOUNT_OK = new Set(['Type', 'Source', 'Target', 'ReadOnly', 'Consistency', 'BindOptions', 'VolumeOptions', 'TmpfsOptions']);
const BIND_OK = new Set(['Propagation', 'NonRecursive']);
const VOLUME_OK = new Set(['NoCopy', 'Labels', 'DriverConfig']);
const TMPFS_OK = new Set(['SizeBytes', 'Mode']);
const PROPAGATIONS = new Set(['shared', 'slave', 'private', 'rshared', 'rslave', 'rprivate']);
/** The options object each type may carry (moby: "field BindOptions must not be specified"). */
const OPTIONS_OF = { bind: 'BindOptions', volume: 'VolumeOptions', tmpfs: 'TmpfsOptions' } as const;

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as Json).every(isZero);
  return false;
}

function unsupported(obj: Json | undefined, ok: Set<string>, prefix: string): void {
  for (const [k, v] of Object.entries(obj ?? {})) {
    if (!ok.has(k) && !isZero(v)) throw new ApiError(400, `skiff does not support ${prefix}.${k} yet`);
  }
}

function invalid(type: string, why: string): ApiError {
  return new ApiError(400, `invalid mount config for type "${type}": ${why}`);
}

/** One Mount object, checked and turned into skiff's entry. `at` names it in messages (HostConfig.Mounts[0]). */
function mountEntry(m: Json, at: string): MountEntry {
  const type = String(m.Type ?? '');
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw invalid(type, 'mount type unknown');
  unsupported(m, MOUNT_OK, at);
  for (const [t, field] of Object.entries(OPTIONS_OF)) {
    if (t !== type && !isZero(m[field])) throw invalid(type, `field ${field} must not be specified`);
  }
  const source = typeof m.Source === 'string' ? m.Source : '';
  const target = typeof m.Target === 'string' ? m.Target : '';
  if (!target) throw invalid(type, 'field Target must not be empty');
  if (!target.startsWith('/')) throw invalid(type, `invalid mount path: '${target}' mount path must be absolute`);
  if (posix.normalize(`${target}/`) === '/') throw invalid(type, 'invalid specification: destination can\'t be \'/\'');
  if (/[\0\n]/.test(target)) throw invalid(type, `invalid mount path: ${JSON.stringify(target)}`);
  const entry: MountEntry = { Type: type, Source: source, Target: target, ReadOnly: m.ReadOnly === true };
  if (type === 'bind') {
    const o = (m.BindOptions ?? undefined) as Json | undefined;
    unsupported(o, BIND_OK, `${at}.BindOptions`);
    if (!source) throw invalid(type, 'field Source must not be empty');
    if (!source.startsWith('/')) throw invalid(type, `invalid mount path: '${source}' mount path must be absolute`);
    const propagation = typeof o?.Propagation === 'string' ? o.Propagation : '';
    if (propagation && !PROPAGATIONS.has(propagation)) throw invalid(type, `invalid propagation mode: ${propagation}`);
    if (propagation || o?.NonRecursive === true) {
      entry.BindOptions = { ...(propagation ? { Propagation: propagation } : {}), ...(o?.NonRecursive === true ? { NonRecursive: true } : {}) };
    }
  } else if (type === 'volume') {
    const o = (m.VolumeOptions ?? undefined) as Json | undefined;
    unsupported(o, VOLUME_OK, `${at}.VolumeOptions`);
    if (source && !isVolumeName(source)) throw invalid(type, `invalid volume name '${source}'`);
    const driver = (o?.DriverConfig ?? undefined) as { Name?: string; Options?: Record<string, string> | null } | undefined;
    if (driver?.Name && driver.Name !== 'local') throw new ApiError(400, `skiff does not support volume driver ${driver.Name}`);
    const opts: NonNullable<MountEntry['VolumeOptions']> = {};
    if (o?.NoCopy === true) opts.NoCopy = true;
    const labels = o?.Labels as Record<string, string> | null | undefined;
    if (labels && Object.keys(labels).length) opts.Labels = { ...labels };
    if (driver?.Options && Object.keys(driver.Options).length) {
      try {
        localVolumeMount(driver.Options); // refused at create, as the CLI's --mount volume-opt is, with moby's words
      } catch (e) {
        if (e instanceof SkiffError) throw new ApiError(400, source ? `create ${source}: ${e.message}` : e.message);
        throw e;
      }
      opts.DriverConfig = { Name: 'local', Options: { ...driver.Options } };
    }
    if (Object.keys(opts).length) entry.VolumeOptions = opts;
  } else {
    const o = (m.TmpfsOptions ?? undefined) as Json | undefined;
    unsupported(o, TMPFS_OK, `${at}.TmpfsOptions`);
    if (source) throw invalid(type, 'field Source must not be specified');
    const size = o?.SizeBytes, mode = o?.Mode;
    if (size !== undefined && size !== null && !(typeof size === 'number' && Number.isInteger(size) && size >= 0)) throw invalid(type, `invalid tmpfs size: ${String(size)}`);
    // os.FileMode on the wire: the permission bits (and sticky/setgid/setuid, which Go keeps elsewhere) as a number.
    if (mode !== undefined && mode !== null && !(typeof mode === 'number' && Number.isInteger(mode) && mode >= 0 && mode <= 0o7777)) throw invalid(type, `invalid tmpfs mode: ${String(mode)}`);
    const t: NonNullable<MountEntry['TmpfsOptions']> = {};
    if (typeof size === 'number' && size > 0) t.SizeBytes = size;
    if (typeof mode === 'number' && mode > 0) t.Mode = mode;
    if (Object.keys(t).length) entry.TmpfsOptions = t;
  }
  return entry;
}

/** HostConfig.Mounts (null or absent: none) as skiff's mount entries, in order. */
export function mountsFromBody(list: unknown): MountEntry[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new ApiError(400, 'HostConfig.Mounts must be a list');
  const seen = new Set<string>();
  return list.map((m, i) => {
    if (!m || typeof m !== 'object') throw new ApiError(400, `HostConfig.Mounts[${i}] must be an object`);
    const e = mountEntry(m as Json, `HostConfig.Mounts[${i}]`);
    const dest = posix.normalize(e.Target).replace(/(.)\/+$/, '$1');
    if (seen.has(dest)) throw new ApiError(400, `Duplicate mount point: ${dest}`);
    seen.add(dest);
    return e;
  });
}
