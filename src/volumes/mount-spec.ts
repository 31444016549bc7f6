// `--mount type=bind|volume|tmpfs,…` and `--tmpfs PATH[:OPTS]` read as docker/cli reads them, without
// touching anything: what to mount where. A bad spec fails when the flags are parsed (exit 125), before
// an image is pulled or a container exists. Docker's key=value grammar: the value is one CSV record, so
// `volume-opt=o=uid=1000` and quoted fields work as there.
import { posix } from 'node:path';
import { SkiffError } from '../errors.js';
import { isVolumeName } from './store.js';
import { localVolumeMount } from './local-driver.js';
import type { MountEntry } from '../state/container-record.js';

const PROPAGATIONS = ['shared', 'slave', 'private', 'rshared', 'rslave', 'rprivate'];

function bad(v: string, why: string, hint = 'e.g. --mount type=bind,source=/srv/data,target=/data,readonly'): SkiffError {
  return new SkiffError('EUSAGE', `invalid argument "${v}" for "--mount" flag: ${why}`, hint);
}

function boolValue(v: string, key: string, value: string | undefined): boolean {
  if (value === undefined || value === '1' || value.toLowerCase() === 'true') return true;
  if (value === '0' || value.toLowerCase() === 'false') return false;
  throw bad(v, `invalid value for ${key}: ${value}`);
}

function checkTarget(v: string, target: string, flag: string): void {
  if (!target.startsWith('/')) throw new SkiffError('EUSAGE', `invalid mount path: '${target}' mount path must be absolute`, `give ${flag} an absolute container path`);
  if (posix.normalize(`${target}/`) === '/') throw new SkiffError('EUSAGE', `invalid mount config for '${v}': destination can't be '/'`, 'mount somewhere under /');
  if (/[\0\n]/.test(target)) throw new SkiffError('EUSAGE', `invalid mount path: ${JSON.stringify(target)}`, 'a path has no NUL or newline');
}

/** Octal file mode as Docker's tmpfs-mode takes it (0 to 07777). */
function parseMode(v: string, text: string): number {
  if (!/^[0-7]{1,5}$/.test(text) || Number.parseInt(text, 8) > 0o7777) throw bad(v, `invalid value for tmpfs-mode: ${text}`, 'give an octal mode, e.g. tmpfs-mode=1770');
  return Number.parseInt(text, 8);
}

/** Docker's units.RAMInBytes for tmpfs sizes (1024 multiples). */
function parseSize(v: string, text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new SkiffError('EUSAGE', `invalid argument "${v}" for "${flag}" flag: invalid size: '${text}'`, 'give a size like 64m or 1g');
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.floor(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
}

/**
 * One record of Go's encoding/csv, as docker/cli reads --mount: fields split at commas, a field in
 * double quotes may hold commas, "" is a quote. (One line of one record: a CSV package would be more
 * code to load than this.)
 */
export function csvFields(v: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (v[i] === '"') {
      i++;
      for (;;) {
        if (i >= v.length) throw bad(v, 'extraneous or missing " in quoted-field');
        if (v[i] === '"') {
          if (v[i + 1] === '"') { field += '"'; i += 2; continue; }
          i++;
          break;
        }
        field += v[i++];
      }
      if (i < v.length && v[i] !== ',') throw bad(v, 'extraneous or missing " in quoted-field');
    } else {
      const end = v.indexOf(',', i);
      field = v.slice(i, end < 0 ? v.length : end);
      if (field.includes('"')) throw bad(v, 'bare " in non-quoted-field');
      i = end < 0 ? v.length : end;
    }
    out.push(field);
    if (i >= v.length) return out;
    i++; // the comma
  }
}

export function parseMountSpec(v: string): MountEntry {
  const fields = csvFields(v);
  let type = 'volume';
  let source = '', target = '', readonly = false, propagation: string | undefined, nonRecursive = false, noCopy = false;
  let tmpfsSize: number | undefined, tmpfsMode: number | undefined;
  const volumeOpts: Record<string, string> = {};
  const volumeLabels: Record<string, string> = {};
  const seenKeys = new Set<string>();
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase().trim();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    seenKeys.add(key);
    if (value === undefined && key !== 'readonly' && key !== 'ro' && key !== 'volume-nocopy' && key !== 'bind-nonrecursive') {
      throw bad(v, `invalid field '${field}' must be a key=value pair`);
    }
    switch (key) {
      case 'type': type = value!.toLowerCase(); break;
      case 'source': case 'src': source = value!; break;
      case 'target': case 'dst': case 'destination': target = value!; break;
      case 'readonly': case 'ro': readonly = boolValue(v, key, value); break;
      case 'bind-propagation':
        if (!PROPAGATIONS.includes(value!.toLowerCase())) throw bad(v, `invalid value for bind-propagation: ${value}`, `use one of ${PROPAGATIONS.join(', ')}`);
        propagation = value!.toLowerCase(); break;
      case 'bind-nonrecursive': nonRecursive = boolValue(v, key, value); break;
      case 'bind-recursive':
        // Docker 25's spelling; `writable`/`readonly` need per-submount flags skiff does not set: refused, not ignored.
        if (value === 'enabled') nonRecursive = false;
        else if (value === 'disabled') nonRecursive = true;
        else throw bad(v, `invalid value for bind-recursive: ${value}`, 'skiff takes bind-recursive=enabled or disabled');
        break;
      case 'consistency': break; // macOS file sharing only; Docker ignores it on Linux too
      case 'volume-nocopy': noCopy = boolValue(v, key, value); break;
      case 'volume-driver':
        if (value !== 'local') throw bad(v, `volume driver "${value}" is not available`, 'skiff has the local volume driver only');
        break;
      case 'volume-label': {
        const i = value!.indexOf('=');
        volumeLabels[i < 0 ? value! : value!.slice(0, i)] = i < 0 ? '' : value!.slice(i + 1);
        break;
      }
      case 'volume-opt': {
        const i = value!.indexOf('=');
        if (i <= 0) throw bad(v, `invalid value for volume-opt: ${value}`, 'write volume-opt=key=value');
        volumeOpts[value!.slice(0, i)] = value!.slice(i + 1);
        break;
      }
      case 'tmpfs-size': tmpfsSize = parseSize(v, value!, '--mount'); break;
      case 'tmpfs-mode': tmpfsMode = parseMode(v, value!); break;
      default: throw bad(v, `unexpected key '${key}' in '${field}'`, 'keys: type, source, target, readonly, bind-propagation, bind-nonrecursive, volume-opt, volume-nocopy, volume-label, tmpfs-size, tmpfs-mode');
    }
  }
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') {
    throw new SkiffError('EUSAGE', `invalid mount config for type "${type}": mount type unknown`, 'skiff mounts type=bind, type=volume or type=tmpfs');
  }
  if (!target) throw bad(v, 'target is required', 'add target=/path/in/container');
  const only = (keys: string[], t: string) => {
    for (const k of keys) if (seenKeys.has(k) && type !== t) throw new SkiffError('EUSAGE', `invalid mount config for type "${type}": cannot mix '${k}' with type '${type}'`, `${k} belongs to type=${t}`);
  };
  only(['bind-propagation', 'bind-nonrecursive', 'bind-recursive'], 'bind');
  only(['volume-opt', 'volume-nocopy', 'volume-driver', 'volume-label'], 'volume');
  only(['tmpfs-size', 'tmpfs-mode'], 'tmpfs');
  checkTarget(v, target, '--mount target');
  const entry: MountEntry = { Type: type, Source: source, Target: target, ReadOnly: readonly };
  if (type === 'bind') {
    if (!source) throw new SkiffError('EUSAGE', 'invalid mount config for type "bind": field Source must not be empty', 'add source=/host/path');
    if (!source.startsWith('/')) throw new SkiffError('EUSAGE', `invalid mount config for type "bind": invalid mount path: '${source}' mount path must be absolute`, 'give source an absolute host path');
    if (propagation || nonRecursive) entry.BindOptions = { ...(propagation ? { Propagation: propagation } : {}), ...(nonRecursive ? { NonRecursive: true } : {}) };
  } else if (type === 'volume') {
    if (source && !isVolumeName(source)) throw new SkiffError('EUSAGE', `invalid mount config for type "volume": invalid volume name '${source}'`, 'a volume name is letters, digits, _ . - (use type=bind for a host path)');
    try {
      localVolumeMount(volumeOpts); // refused now, not when the container starts
    } catch (e) {
      // As moby words it when it makes the volume (an anonymous one is named at create).
      throw e instanceof SkiffError && source ? new SkiffError(e.code, `create ${source}: ${e.message}`, e.hint) : e;
    }
    const labels = Object.keys(volumeLabels).length ? { Labels: volumeLabels } : {};
    const driver = Object.keys(volumeOpts).length ? { DriverConfig: { Name: 'local', Options: volumeOpts } } : {};
    if (noCopy || labels.Labels || driver.DriverConfig) entry.VolumeOptions = { ...(noCopy ? { NoCopy: true } : {}), ...labels, ...driver };
  } else {
    if (source) throw new SkiffError('EUSAGE', 'invalid mount config for type "tmpfs": field Source must not be specified', 'drop source= for a tmpfs');
    if (tmpfsSize !== undefined || tmpfsMode !== undefined) entry.TmpfsOptions = { ...(tmpfsSize !== undefined ? { SizeBytes: tmpfsSize } : {}), ...(tmpfsMode !== undefined ? { Mode: tmpfsMode } : {}) };
  }
  return entry;
}

/** Options a tmpfs takes as flags; the rest (size, mode, uid, gid, nr_inodes …) go to the kernel as data. */
const TMPFS_FLAG_WORDS = new Set(['ro', 'rw', 'exec', 'noexec', 'suid', 'nosuid', 'dev', 'nodev', 'atime', 'noatime', 'relatime', 'strictatime', 'nodiratime', 'diratime']);
const TMPFS_DATA_KEYS = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol', 'huge']);

/** --tmpfs PATH[:OPTS] → [target, options] for HostConfig.Tmpfs. */
export function parseTmpfsSpec(v: string): [string, string] {
  const i = v.indexOf(':');
  const target = i < 0 ? v : v.slice(0, i);
  const opts = i < 0 ? '' : v.slice(i + 1);
  checkTarget(v, target, '--tmpfs');
  for (const o of opts ? opts.split(',') : []) {
    const key = o.split('=')[0]!;
    if (TMPFS_FLAG_WORDS.has(o)) continue;
    if (!TMPFS_DATA_KEYS.has(key) || !o.includes('=')) {
      throw new SkiffError('EUSAGE', `invalid argument "${v}" for "--tmpfs" flag: unknown tmpfs option '${o}'`, 'options: ro, rw, exec, noexec, suid, nosuid, dev, nodev, size=64m, mode=1777, uid=N, gid=N');
    }
    if (key === 'size') parseSize(v, o.slice(5), '--tmpfs');
    if (key === 'mode' && (!/^[0-7]{1,5}$/.test(o.slice(5)) || Number.parseInt(o.slice(5), 8) > 0o7777)) {
      throw new SkiffError('EUSAGE', `invalid argument "${v}" for "--tmpfs" flag: invalid mode '${o.slice(5)}'`, 'give an octal mode, e.g. mode=1777');
    }
  }
  return [target, opts];
}

/** A tmpfs's mount flags (MS_*) and data from Docker's option words: --tmpfs defaults to noexec,nosuid,nodev. */
export function tmpfsMountArgs(opts: string, defaults: string[]): { words: Set<string>; data: string } {
  const words = new Set(defaults);
  const data: string[] = [];
  for (const o of opts ? opts.split(',') : []) {
    if (TMPFS_FLAG_WORDS.has(o)) {
      const opposite = o.startsWith('no') ? o.slice(2) : `no${o}`;
      words.delete(opposite);
      if (o === 'rw') words.delete('ro'); else if (o === 'ro') words.delete('rw');
      words.add(o);
    } else {
      const [k, val = ''] = o.split('=');
      // The kernel's tmpfs takes size=, nr_inodes=… in bytes or with k/m/g; Docker's 64m → 64m works as is.
      data.push(k === 'size' ? `size=${parseSize(o, val, '--tmpfs')}` : o);
    }
  }
  return { words, data: data.join(',') };
}
