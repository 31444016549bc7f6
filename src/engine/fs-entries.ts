// The file-tree entries the filesystem verbs (cp, export, the archive endpoints) move around: one shape
// for every source (a container's root, a host path, a tar stream) and every sink (a container's root,
// a host directory, a tar stream). Names are relative and '/'-separated; a directory carries no slash.
import { closeSync, readSync, type Stats } from 'node:fs';
import { Readable } from 'node:stream';
import { encodeHeader, END_OF_ARCHIVE, padding, type TarType } from '../image/build/tar-header.js';
import { SkiffError } from '../errors.js';

export type EntryType = TarType;

export interface FsEntry {
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Symlink target, or (hardlink) the name of the entry it links to. */
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** The content of a regular file. */
  content?: () => AsyncIterable<Buffer>;
}

export function entryType(st: Stats): EntryType | undefined {
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  return undefined; // sockets are not archived (Docker skips them too)
}

/** Reads an open fd to its end in 1 MiB chunks, then closes it; exactly `size` bytes or an error. */
export async function* fdChunks(fd: number, size: number, what: string): AsyncGenerator<Buffer> {
  try {
    let done = 0;
    while (done < size) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, size - done));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      done += n;
      yield buf.subarray(0, n);
    }
    if (done !== size) throw new SkiffError('EIO', `${what} changed size while it was copied (${size} → ${done} bytes)`, 'copy it again when nothing writes to it', { exitCode: 1 });
  } finally {
    closeSync(fd);
  }
}

/** Entries as a tar stream (ustar + pax, what Docker's archive package writes). */
export function tarStream(entries: AsyncIterable<FsEntry>): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    for await (const e of entries) {
      const name = e.type === 'directory' ? `${e.name}/` : e.name;
      yield encodeHeader({ name, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.type === 'file' ? e.size : 0, mtime: e.mtime, ...(e.linkname !== undefined ? { linkname: e.linkname } : {}), devmajor: e.devmajor ?? 0, devminor: e.devminor ?? 0 });
      if (e.type !== 'file' || e.size === 0) continue;
      for await (const chunk of e.content!()) yield chunk;
      yield padding(e.size);
    }
    yield END_OF_ARCHIVE;
  }
  return Readable.from(bytes(), { objectMode: false });
}

/** Go's os.FileMode bits for a stat: what Docker's X-Docker-Container-Path-Stat header carries. */
export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.mode & 0o4000) m |= 1 << 23;
  if (st.mode & 0o2000) m |= 1 << 22;
  if (st.mode & 0o1000) m |= 1 << 20;
  if (st.isDirectory()) m |= 2 ** 31;
  else if (st.isSymbolicLink()) m |= 1 << 27;
  else if (st.isFIFO()) m |= 1 << 25;
  else if (st.isSocket()) m |= 1 << 24;
  else if (st.isCharacterDevice()) m |= (1 << 26) | (1 << 21);
  else if (st.isBlockDevice()) m |= 1 << 26;
  return m >>> 0;
}

/** A normalised relative name from a tar or a caller: no leading "./" or "/", and never a ".." component. */
export function cleanName(name: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new SkiffError('EUSAGE', `invalid archive entry "${name}": it points outside the destination`, 'archives for cp may not contain ".." in names', { exitCode: 1 });
  return parts.join('/');
}
