// Reading and writing files inside a container's root fd (container-root.ts) the way Docker's cp does
// it inside a chroot: every path is opened with openat2(RESOLVE_IN_ROOT), so symlinks are followed but
// only ever within the container; the last name of what is written is never followed (it is replaced).
// Node's own fs is only used on what an fd already names (fstat, /proc/self/fd/N of a checked fd).
import { closeSync, fstatSync, openSync, readdirSync, writeSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { SkiffError } from '../errors.js';
import { KernelError } from '../kernel/errno.js';
import { O, fchmodFd, fchownFd, futimesFd, linkat, mkdirat, mknodat, openChild, openInRoot, readlinkFd, symlinkat, unlinkat } from '../kernel/fs-at.js';
import { cleanName, entryType, fdChunks, type FsEntry } from './fs-entries.js';

/** `/a/../b/` → `/b/`; a trailing slash or "/." is kept: it means "follow the last name" in Docker's cp. */
export function containerPathSplit(path: string): { dir: string; base: string; followLast: boolean } {
  const followLast = /\/\.?$/.test(path);
  const norm = posix.normalize('/' + path);
  const clean = norm.length > 1 ? norm.replace(/\/$/, '') : norm;
  return { dir: posix.dirname(clean), base: clean === '/' ? '' : posix.basename(clean), followLast };
}

function isErrno(e: unknown, ...names: string[]): boolean {
  return e instanceof KernelError && names.includes(e.errnoName);
}

/** An O_PATH fd of `path` in the root (last name followed only when asked), or undefined when it does not exist. */
export function openContainerPath(rootFd: number, path: string, follow = false): number | undefined {
  const { dir, base, followLast } = containerPathSplit(path);
  try {
    if (follow || followLast || base === '') return openInRoot(rootFd, posix.join(dir, base), O.PATH);
    const parent = openInRoot(rootFd, dir, O.PATH | O.DIRECTORY);
    try {
      return openChild(parent, base, O.PATH);
    } finally {
      closeSync(parent);
    }
  } catch (e) {
    if (isErrno(e, 'ENOENT', 'ENOTDIR')) return undefined;
    throw e;
  }
}

/** Where a symlink at `path` ends up inside the container (its final target, as an absolute path). */
export function resolveLinkTarget(rootFd: number, path: string): string {
  let cur = posix.normalize('/' + path);
  for (let hops = 0; hops < 40; hops++) {
    const fd = openContainerPath(rootFd, cur);
    if (fd === undefined) return cur;
    try {
      if (!fstatSync(fd).isSymbolicLink()) return cur;
      const target = readlinkFd(fd);
      cur = posix.normalize(target.startsWith('/') ? target : posix.join(posix.dirname(cur), target));
    } finally {
      closeSync(fd);
    }
  }
  throw new SkiffError('EUSAGE', `too many levels of symbolic links at ${path}`, 'copy the link itself (without -L)', { exitCode: 1 });
}

/** The tree under an O_PATH fd as entries; the first is named `rebase` (its children rebase/…). */
export async function* containerEntries(fd: number, rebase: string): AsyncGenerator<FsEntry> {
  const links = new Map<string, string>();
  async function* walk(cur: number, name: string): AsyncGenerator<FsEntry> {
    const st = fstatSync(cur);
    const type = entryType(st);
    if (!type) return;
    const head = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000), size: 0 };
    if (type === 'directory') {
      yield { ...head, type };
      const names = readdirSync(`/proc/self/fd/${cur}`).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      for (const n of names) {
        let child: number;
        try {
          child = openChild(cur, n, O.PATH);
        } catch (e) {
          if (isErrno(e, 'ENOENT')) continue; // removed meanwhile by the running container
          throw e;
        }
        try {
          yield* walk(child, name === '' ? n : `${name}/${n}`);
        } finally {
          closeSync(child);
        }
      }
    } else if (type === 'file') {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(key) : undefined;
      if (first !== undefined) return yield { ...head, type: 'hardlink', linkname: first };
      if (st.nlink > 1) links.set(key, name);
      // Reopening the O_PATH fd's magic link opens exactly that inode, never a path.
      yield { ...head, type, size: st.size, content: () => fdChunks(openSync(`/proc/self/fd/${cur}`, O.RDONLY | O.CLOEXEC), st.size, name) };
    } else if (type === 'symlink') {
      yield { ...head, type, linkname: readlinkFd(cur) };
    } else if (type === 'char' || type === 'block') {
      yield { ...head, type, devmajor: Number((BigInt(st.rdev) >> 8n) & 0xfffn), devminor: Number(BigInt(st.rdev) & 0xffn) };
    } else {
      yield { ...head, type };
    }
  }
  yield* walk(fd, rebase);
}

export interface WriteOptions {
  /** Refuse to replace a directory by a non-directory and back (Docker's noOverwriteDirNonDir). */
  noOverwriteDirNonDir: boolean;
  /** Owner of everything written (cp -a with the container's user); else the entries' own ids. */
  owner?: { uid: number; gid: number };
  warn?: (line: string) => void;
}

/** Opens (creating missing directories, 0755) `rel` below the O_PATH directory fd `baseFd` of the root. */
function openDirCreating(rootFd: number, dirPath: string): number {
  try {
    return openInRoot(rootFd, dirPath, O.PATH | O.DIRECTORY);
  } catch (e) {
    if (!isErrno(e, 'ENOENT')) throw e;
  }
  const parent = openDirCreating(rootFd, posix.dirname(dirPath));
  try {
    try {
      mkdirat(parent, posix.basename(dirPath), 0o755);
    } catch (e) {
      if (!isErrno(e, 'EEXIST')) throw e;
    }
  } finally {
    closeSync(parent);
  }
  return openInRoot(rootFd, dirPath, O.PATH | O.DIRECTORY);
}

function lstatChild(parent: number, name: string): Stats | undefined {
  let fd: number;
  try {
    fd = openChild(parent, name, O.PATH);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
  try {
    return fstatSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Removes a tree below a directory fd without following any symlink. */
function removeChild(parent: number, name: string): void {
  const st = lstatChild(parent, name);
  if (!st) return;
  if (st.isDirectory()) {
    const fd = openChild(parent, name, O.RDONLY | O.DIRECTORY);
    try {
      for (const n of readdirSync(`/proc/self/fd/${fd}`)) removeChild(fd, n);
    } finally {
      closeSync(fd);
    }
  }
  unlinkat(parent, name, st.isDirectory());
}

/**
 * Writes entries below `destDir` (a directory inside the root that must exist). Each entry's parent is
 * resolved in the root (symlinks followed inside it, missing directories created); its own name is
 * replaced, never followed. Directory times are set last, after their contents.
 */
export async function writeEntries(rootFd: number, destDir: string, entries: AsyncIterable<FsEntry>, o: WriteOptions): Promise<void> {
  const dirTimes: Array<{ path: string; mtime: number }> = [];
  for await (const e of entries) {
    const rel = cleanName(e.name);
    const path = posix.join(destDir, rel);
    if (rel === '') continue; // the destination itself: it exists and keeps its own metadata
    const parent = openDirCreating(rootFd, posix.dirname(path));
    const leaf = posix.basename(path);
    try {
      const old = lstatChild(parent, leaf);
      if (old) {
        const isDir = e.type === 'directory';
        if (o.noOverwriteDirNonDir && old.isDirectory() && !isDir) {
          throw new SkiffError('EUSAGE', `cannot overwrite directory "${path}" with non-directory "${e.name}"`, 'remove it first, or copy to another path', { exitCode: 1 });
        }
        if (o.noOverwriteDirNonDir && !old.isDirectory() && isDir) {
          throw new SkiffError('EUSAGE', `cannot overwrite non-directory "${path}" with directory "${e.name}"`, 'remove it first, or copy to another path', { exitCode: 1 });
        }
        if (!(old.isDirectory() && isDir)) removeChild(parent, leaf);
      }
      if (e.type === 'directory') {
        if (!old?.isDirectory()) mkdirat(parent, leaf, 0o700);
      } else if (e.type === 'file') {
        const fd = openChild(parent, leaf, O.WRONLY | O.CREAT | O.EXCL, 0o600);
        try {
          let n = 0;
          for await (const chunk of e.content?.() ?? []) {
            for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off);
            n += chunk.length;
          }
          if (n !== e.size) throw new SkiffError('EIO', `${e.name}: expected ${e.size} bytes, got ${n}`, 'the archive is truncated', { exitCode: 1 });
        } finally {
          closeSync(fd);
        }
      } else if (e.type === 'symlink') {
        symlinkat(e.linkname ?? '', parent, leaf);
      } else if (e.type === 'hardlink') {
        const target = posix.join(destDir, cleanName(e.linkname ?? ''));
        const tParent = openInRoot(rootFd, posix.dirname(target), O.PATH | O.DIRECTORY);
        try {
          linkat(tParent, posix.basename(target), parent, leaf);
        } finally {
          closeSync(tParent);
        }
        continue;
      } else if (e.type === 'fifo') {
        mknodat(parent, leaf, 0o010000 | (e.mode & 0o777), 0);
      } else {
        o.warn?.(`skipping device node ${e.name}: a container cannot create device nodes`);
        continue;
      }
      applyMetadata(parent, leaf, e, o);
      if (e.type === 'directory') dirTimes.push({ path, mtime: e.mtime });
    } finally {
      closeSync(parent);
    }
  }
  for (const d of dirTimes.reverse()) {
    const fd = openContainerPath(rootFd, d.path);
    if (fd === undefined) continue;
    try {
      futimesFd(fd, d.mtime);
    } finally {
      closeSync(fd);
    }
  }
}

function applyMetadata(parent: number, leaf: string, e: FsEntry, o: WriteOptions): void {
  const fd = openChild(parent, leaf, O.PATH);
  try {
    const uid = o.owner?.uid ?? e.uid;
    const gid = o.owner?.gid ?? e.gid;
    try {
      fchownFd(fd, uid, gid);
    } catch (err) {
      // An id the (rootless) engine does not map: the file stays the container's root's, as rootless Docker does.
      if (!isErrno(err, 'EINVAL')) throw err;
    }
    // chmod after chown: chown clears setuid/setgid bits.
    if (e.type !== 'symlink') fchmodFd(fd, e.mode & 0o7777);
    if (e.type !== 'directory') futimesFd(fd, e.mtime);
  } finally {
    closeSync(fd);
  }
}
