// Only the store's owner may see into it. A rootful container's root is the host's root: a setuid
// file it writes into its upper dir or a volume is a real setuid-root file on the host, and config.json
// holds every `-e`. So the data root, the run root and every directory under them are 0700 and every
// record and log 0600 — the same wall Docker builds with /var/lib/docker 0710 — and a directory that
// is not ours (planted by another user before us, or a symlink to somewhere else) is refused, never
// used. docs/security.md explains the threat model.
//
// What stays readable on purpose, because a container's non-root user reads it through a mount:
// containers/<id>/upper (its mode is the container's "/"), volumes/<n>/_data (the volume's root) and
// network/containers/<id>/{hosts,resolv.conf,hostname}. Their parents are 0700, so no host user
// reaches them.
import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { SkiffError } from '../errors.js';

export const PRIVATE_DIR = 0o700;

/** upper's mode is the container's "/": it must stay as the image made it (0755). */
const KEEP_MODE_IN_CONTAINER_DIR: ReadonlySet<string> = new Set(['upper']);

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Others may have planted something in it. Group-writable is ours when the group is ours (umask 002). */
function writableByOthers(st: Stats): boolean {
  return (st.mode & 0o002) !== 0 || ((st.mode & 0o020) !== 0 && st.gid !== process.getegid!());
}

function notOurs(path: string, why: string, hint: string): SkiffError {
  return new SkiffError('EIO', `refusing to use ${path}: ${why}`, hint);
}

/**
 * Make sure `path` is a directory of ours that nobody else can enter: create it 0700 when missing;
 * tighten it when it is ours and only too open for reading; refuse a symlink, another owner, or a
 * directory others could write into (they may have planted something in it already).
 */
export function ensurePrivateDir(path: string, what: string): void {
  let st = lstatOrUndefined(path);
  if (!st) {
    mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIR });
    try {
      mkdirSync(path, { mode: PRIVATE_DIR });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // made meanwhile: checked below like any other
    }
    st = lstatSync(path);
  }
  const hint = `remove it (or set ${what === 'run directory' ? 'XDG_RUNTIME_DIR' : 'SKIFF_ROOT'} to a directory of your own) and try again`;
  const me = process.geteuid!();
  if (st.isSymbolicLink()) {
    // A store moved to another disk and linked back is common (and the link is then ours); a run
    // dir in /tmp that is a link is another user's trap, even when it points at a dir of ours.
    if (what === 'run directory' || st.uid !== me) throw notOurs(path, `the ${what} is a symlink`, hint);
    st = statSync(path);
  }
  if (!st.isDirectory()) throw notOurs(path, `the ${what} is not a directory`, hint);
  if (st.uid !== me) throw notOurs(path, `the ${what} belongs to uid ${st.uid}, not to you (uid ${me})`, hint);
  if (writableByOthers(st)) throw notOurs(path, `the ${what} is writable by other users (mode ${(st.mode & 0o7777).toString(8)})`, hint);
  if ((st.mode & 0o077) !== 0) chmodSync(path, PRIVATE_DIR);
}

function tighten(path: string, st: Stats): void {
  if (st.isSymbolicLink() || (st.mode & 0o077) === 0) return; // chmod would follow a symlink
  chmodSync(path, st.isDirectory() ? PRIVATE_DIR : st.mode & 0o700);
}

function tightenChildren(dir: string, skip: ReadonlySet<string> = new Set()): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (skip.has(name)) continue;
    const p = join(dir, name);
    const st = lstatOrUndefined(p);
    if (st) tighten(p, st);
  }
}

/**
 * A store made by an older skiff has 0755 dirs and 0644 records: close it once. Top-level entries
 * become 0700/0600, each container's dir 0700 and its records 0600, each volume's directory 0700 (its
 * _data keeps its mode: it is the volume's root inside containers). The data root is tightened last,
 * so a walk cut short is done again next time.
 */
export function tightenOldStore(data: string): void {
  tightenChildren(data);
  for (const sub of ['containers', 'volumes']) {
    const dir = join(data, sub);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const p = join(dir, name);
      const st = lstatOrUndefined(p);
      if (!st?.isDirectory()) continue;
      tighten(p, st);
      if (sub === 'containers') tightenChildren(p, KEEP_MODE_IN_CONTAINER_DIR);
    }
  }
  chmodSync(data, PRIVATE_DIR);
}

/** Open the store for this process: data and run roots private, an old store closed on first use. */
export function securePaths(data: string, run: string): void {
  const st = lstatOrUndefined(data)?.isSymbolicLink() ? statSync(data) : lstatOrUndefined(data);
  // A data root open to others is a store from before this check: close everything in it once.
  if (st?.isDirectory() && st.uid === process.geteuid!() && (st.mode & 0o077) !== 0 && !writableByOthers(st)) tightenOldStore(data);
  ensurePrivateDir(data, 'store');
  ensurePrivateDir(run, 'run directory');
}
