// `skiff cp`: files between a container and the host, as `docker cp` copies them — the same path rules
// (an existing directory receives SRC by its base name, `SRC/.` copies a directory's contents, `-` is a
// tar on stdin/stdout), `-L` follows a symlink source, `-a` keeps the owners (otherwise what lands in a
// container belongs to its root, and what lands on the host to the caller). Every in-container path
// is resolved inside the container's root (container-files.ts); the Engine API's archive endpoints use
// the same pieces.
import { closeSync, fstatSync, lstatSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SkiffError } from '../errors.js';
import { readConfig, resolveContainer } from '../state/containers.js';
import { withContainerRoot } from './container-root.js';
import { containerEntries, openContainerPath, resolveLinkTarget, writeEntries } from './container-files.js';
import { goFileMode, tarStream, type FsEntry } from './fs-entries.js';
import { hostEntries, writeHostEntries } from './host-files.js';
import { tarEntries } from './tar-entries.js';
import { recordContainerEvent } from '../state/events.js';

export interface CpFlags { archive?: boolean; followLink?: boolean }

/** Docker's splitCpArg: an absolute or ./-relative argument is a host path, else `container:path` when it has a colon. */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/')) return { path: arg };
  const i = arg.indexOf(':');
  if (i < 0 || arg.startsWith('.')) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

export function notFoundInContainer(path: string, ref: string): SkiffError {
  return new SkiffError('ENOCONTAINER', `Could not find the file ${path} in container ${ref}`, undefined, { exitCode: 1 });
}

/** What Docker's X-Docker-Container-Path-Stat header says about a path. */
export interface PathStat { name: string; size: number; mode: number; mtime: string; linkTarget: string }

export function pathStat(rootFd: number, path: string, st: Stats): PathStat {
  return {
    name: basename(posix.normalize('/' + path)) || '/',
    size: st.size,
    mode: goFileMode(st),
    mtime: new Date(st.mtimeMs).toISOString(),
    linkTarget: st.isSymbolicLink() ? resolveLinkTarget(rootFd, path) : '',
  };
}

/** The O_PATH fd and stat of `path`, following a symlink there when asked (cp -L); undefined when missing. */
function openSource(rootFd: number, path: string, follow: boolean): { fd: number; st: Stats; path: string } | undefined {
  let fd = openContainerPath(rootFd, path);
  if (fd === undefined) return undefined;
  let st = fstatSync(fd);
  if (follow && st.isSymbolicLink()) {
    closeSync(fd);
    path = resolveLinkTarget(rootFd, path);
    fd = openContainerPath(rootFd, path, true);
    if (fd === undefined) return undefined;
    st = fstatSync(fd);
  }
  return { fd, st, path };
}

const copiesContents = (p: string) => /\/\.$/.test(p) || p === '.';

async function copyFromContainer(id: string, ref: string, src: string, dst: string, f: CpFlags, out: Writable): Promise<void> {
  await withContainerRoot(id, 'read', async (root) => {
    const s = openSource(root, src, !!f.followLink);
    if (!s) throw notFoundInContainer(src, ref);
    try {
      if (/\/$/.test(src) && !s.st.isDirectory()) throw new SkiffError('EUSAGE', `${src}: not a directory`, undefined, { exitCode: 1 });
      const contents = copiesContents(src) && s.st.isDirectory();
      // What `docker cp` out of a container makes dockerd record (its GET …/archive): `archive-path`.
      recordContainerEvent(readConfig(id), 'archive-path');
      if (dst === '-') {
        await pipeline(tarStream(containerEntries(s.fd, contents ? '.' : basename(posix.normalize('/' + s.path)) || '.')), out, { end: false });
        return;
      }
      let dstSt: Stats | undefined;
      try {
        dstSt = statSync(dst);
      } catch {
        dstSt = undefined;
      }
      let destDir: string, rebase: string;
      if (dstSt?.isDirectory()) {
        destDir = dst;
        rebase = contents ? '' : basename(posix.normalize('/' + s.path));
      } else if (dstSt) {
        if (s.st.isDirectory()) throw new SkiffError('EUSAGE', `cannot copy a directory to a file: ${dst} exists and is not a directory`, undefined, { exitCode: 1 });
        destDir = dirname(dst);
        rebase = basename(dst);
      } else {
        if (/\/$/.test(dst) && !s.st.isDirectory()) throw new SkiffError('EUSAGE', `invalid output path: directory "${dst}" does not exist`, undefined, { exitCode: 1 });
        const parent = dirname(dst.replace(/\/+$/, '') || '/');
        if (!isDir(parent)) throw new SkiffError('EUSAGE', `invalid output path: directory "${parent}" does not exist`, undefined, { exitCode: 1 });
        destDir = parent;
        rebase = basename(dst.replace(/\/+$/, ''));
      }
      await writeHostEntries(destDir, containerEntries(s.fd, rebase), { keepOwner: !!f.archive, warn: (l) => process.stderr.write(`skiff: ${l}\n`) });
    } finally {
      closeSync(s.fd);
    }
  });
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

async function copyToContainer(id: string, ref: string, src: string, dst: string, f: CpFlags, input: Readable): Promise<void> {
  let entries: (rebase: string) => AsyncIterable<FsEntry>;
  let srcIsDir = true;
  if (src === '-') {
    entries = () => tarEntries(input);
  } else {
    let st: Stats;
    try {
      st = f.followLink ? statSync(src) : lstatSync(src);
    } catch {
      throw new SkiffError('EUSAGE', `lstat ${src}: no such file or directory`, undefined, { exitCode: 1 });
    }
    srcIsDir = st.isDirectory();
    entries = (rebase) => hostEntries(src, rebase);
  }
  // Without -a what is copied in belongs to the container's root, as Docker documents it.
  const owner = f.archive ? undefined : { uid: 0, gid: 0 };
  await withContainerRoot(id, 'write', async (root) => {
    let dstPath = dst;
    let fd = openContainerPath(root, dstPath);
    if (fd !== undefined && fstatSync(fd).isSymbolicLink()) {
      closeSync(fd);
      dstPath = resolveLinkTarget(root, dstPath);
      fd = openContainerPath(root, dstPath, true);
    }
    const dstSt = fd === undefined ? undefined : fstatSync(fd);
    if (fd !== undefined) closeSync(fd);
    let destDir: string, rebase: string;
    if (src === '-') {
      if (!dstSt) throw notFoundInContainer(dst, ref);
      if (!dstSt.isDirectory()) throw new SkiffError('EUSAGE', `destination "${ref}:${dst}" must be a directory`, undefined, { exitCode: 1 });
      destDir = dstPath;
      rebase = '';
    } else if (dstSt?.isDirectory()) {
      destDir = dstPath;
      rebase = copiesContents(src) && srcIsDir ? '' : basename(src.replace(/\/+$/, '')) || '';
    } else if (dstSt) {
      if (srcIsDir) throw new SkiffError('EUSAGE', `cannot copy a directory to a file: ${ref}:${dst} is not a directory`, undefined, { exitCode: 1 });
      destDir = posix.dirname(posix.normalize('/' + dstPath));
      rebase = posix.basename(posix.normalize('/' + dstPath));
    } else {
      const norm = posix.normalize('/' + dstPath).replace(/\/$/, '') || '/';
      const parent = posix.dirname(norm);
      const pfd = openContainerPath(root, parent, true);
      if (pfd === undefined) throw notFoundInContainer(parent, ref);
      const parentIsDir = fstatSync(pfd).isDirectory();
      closeSync(pfd);
      if (!parentIsDir) throw new SkiffError('EUSAGE', `destination "${ref}:${parent}" must be a directory`, undefined, { exitCode: 1 });
      if (/\/$/.test(dst) && !srcIsDir) throw notFoundInContainer(dst, ref);
      destDir = parent;
      rebase = posix.basename(norm);
    }
    await writeEntries(root, destDir, entries(rebase), { noOverwriteDirNonDir: true, ...(owner ? { owner } : {}), warn: (l) => process.stderr.write(`skiff: ${l}\n`) });
    // What `docker cp` into a container makes dockerd record (its PUT …/archive), once the content is in.
    recordContainerEvent(readConfig(id), 'extract-to-dir');
  });
}

export async function cpCommand(srcArg: string, dstArg: string, f: CpFlags, io: { stdin: Readable; stdout: Writable } = { stdin: process.stdin, stdout: process.stdout }): Promise<void> {
  const src = splitCpArg(srcArg);
  const dst = splitCpArg(dstArg);
  if (src.container !== undefined && dst.container !== undefined) throw new SkiffError('EUSAGE', 'copying between containers is not supported', 'copy to the host first, then into the other container', { exitCode: 1 });
  if (src.container === undefined && dst.container === undefined) throw new SkiffError('EUSAGE', 'must specify at least one container source', 'name it as CONTAINER:PATH', { exitCode: 1 });
  if (src.container !== undefined) {
    if (!src.path) throw new SkiffError('EUSAGE', 'source can not be empty', undefined, { exitCode: 1 });
    const id = resolveContainer(src.container);
    readConfig(id);
    await copyFromContainer(id, src.container, src.path, dst.path, f, io.stdout);
  } else {
    if (!dst.path) throw new SkiffError('EUSAGE', 'destination can not be empty', undefined, { exitCode: 1 });
    const id = resolveContainer(dst.container!);
    await copyToContainer(id, dst.container!, src.path, dst.path, f, io.stdin);
  }
}
