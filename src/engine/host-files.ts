// The host side of `skiff cp`: a host path as FsEntry values, and entries written into a host
// directory. These are the caller's own paths (as for `cp` on the host, host symlinks in the path the
// user typed are followed); entries come from skiff's own walker or a tar, names are cleaned, and the
// last name of each is replaced, never followed. Ownership is the caller's, as `docker cp` leaves it.
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, rmSync, symlinkSync, linkSync, utimesSync, lutimesSync, lchownSync, chmodSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../errors.js';
import { cleanName, entryType, fdChunks, type FsEntry } from './fs-entries.js';

export async function* hostEntries(path: string, rebase: string): AsyncGenerator<FsEntry> {
  const links = new Map<string, string>();
  async function* walk(p: string, name: string): AsyncGenerator<FsEntry> {
    const st = lstatSync(p);
    const type = entryType(st);
    if (!type) return;
    const head = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000), size: 0 };
    if (type === 'directory') {
      yield { ...head, type };
      for (const n of readdirSync(p).sort()) yield* walk(join(p, n), name === '' ? n : `${name}/${n}`);
    } else if (type === 'file') {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(key) : undefined;
      if (first !== undefined) return yield { ...head, type: 'hardlink', linkname: first };
      if (st.nlink > 1) links.set(key, name);
      yield { ...head, type, size: st.size, content: () => fdChunks(openSync(p, constants.O_RDONLY | constants.O_NOFOLLOW), st.size, p) };
    } else if (type === 'symlink') {
      yield { ...head, type, linkname: readlinkSync(p) };
    } else {
      yield { ...head, type };
    }
  }
  yield* walk(path, rebase);
}

export async function writeHostEntries(destDir: string, entries: AsyncIterable<FsEntry>, o: { keepOwner: boolean; warn: (l: string) => void }): Promise<void> {
  const dirTimes: Array<{ path: string; mtime: number }> = [];
  const symlinks = new Set<string>();
  for await (const e of entries) {
    const rel = cleanName(e.name);
    if (rel === '') continue;
    // A name below a symlink this copy made would be written wherever that link points: refused.
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      if (symlinks.has(parts.slice(0, i).join('/'))) throw new SkiffError('EUSAGE', `refusing to write "${rel}" through the symlink "${parts.slice(0, i).join('/')}"`, 'the archive is not a plain file tree', { exitCode: 1 });
    }
    if (e.type === 'symlink') symlinks.add(rel);
    const path = join(destDir, rel);
    let old;
    try {
      old = lstatSync(path);
    } catch {
      old = undefined;
    }
    if (old && !(old.isDirectory() && e.type === 'directory')) {
      if (old.isDirectory() !== (e.type === 'directory')) {
        throw new SkiffError('EUSAGE', `cannot overwrite ${old.isDirectory() ? 'directory' : 'non-directory'} "${path}" with ${old.isDirectory() ? 'non-directory' : 'directory'} "${e.name}"`, 'remove it first, or copy to another path', { exitCode: 1 });
      }
      rmSync(path, { force: true });
    }
    if (e.type === 'directory') {
      if (!old) mkdirSync(path, { mode: 0o700 });
      if (o.keepOwner) lchownSync(path, e.uid, e.gid);
      chmodSync(path, e.mode);
      dirTimes.push({ path, mtime: e.mtime });
    } else if (e.type === 'file') {
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        for await (const chunk of e.content?.() ?? []) for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off);
      } finally {
        closeSync(fd);
      }
      if (o.keepOwner) lchownSync(path, e.uid, e.gid);
      chmodSync(path, e.mode);
      utimesSync(path, e.mtime, e.mtime);
    } else if (e.type === 'symlink') {
      symlinkSync(e.linkname ?? '', path);
      lutimesSync(path, e.mtime, e.mtime);
      if (o.keepOwner) lchownSync(path, e.uid, e.gid);
    } else if (e.type === 'hardlink') {
      linkSync(join(destDir, cleanName(e.linkname ?? '')), path);
    } else {
      o.warn(`skipping ${e.type} ${e.name}: only files, directories and links are copied out`);
    }
  }
  for (const d of dirTimes.reverse()) utimesSync(d.path, d.mtime, d.mtime);
}
