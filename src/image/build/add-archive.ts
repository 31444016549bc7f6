// ADD <local archive> <dest>: a tar (plain or gzip'd) in the context is unpacked into the image at
// dest, keeping the archive's owners and modes. The members become layer entries directly (their
// bytes spooled to a scratch dir), so nothing of the archive ever lands on the host's filesystem
// at the paths it names; a member that climbs out of dest fails the step, as Docker does.
import { createReadStream, createWriteStream, openSync, readSync, closeSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { SkiffError } from '../../errors.js';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import type { LayerEntry } from './layer-writer.js';
import type { TarType } from './tar-header.js';

const TYPES: Record<string, TarType> = {
  File: 'file', OldFile: 'file', ContiguousFile: 'file', Link: 'hardlink', SymbolicLink: 'symlink',
  CharacterDevice: 'char', BlockDevice: 'block', Directory: 'directory', FIFO: 'fifo',
};

/** True for a plain tar or a gzip stream (what ADD extracts; other files are copied as they are). */
export function isLocalArchive(path: string): boolean {
  const head = Buffer.alloc(512);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, 512, 0);
  } finally {
    closeSync(fd);
  }
  if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
  return n >= 262 && head.toString('latin1', 257, 262) === 'ustar';
}

/** Path of a member under dest; a member that climbs out of dest fails the step, as in Docker. */
function memberPath(archive: string, dest: string, name: string): string {
  if (name.split('/').includes('..') || posix.isAbsolute(name)) {
    throw new SkiffError('EBUILD', `ADD ${basename(archive)}: archive member "${name}" is outside of "${dest}"`, 'rebuild the archive with relative member names');
  }
  return posix.normalize(posix.join(dest, name)).replace(/^\/+/, '');
}

export async function archiveEntries(archive: string, dest: string, scratchDir: string): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  let n = 0;
  const spooled: Promise<void>[] = [];
  let failure: unknown;
  const parser = new Parser({
    onReadEntry: (e: ReadEntry) => {
      if (failure !== undefined) {
        e.resume();
        return;
      }
      try {
        onEntry(e);
      } catch (err) {
        failure = err;
        e.resume();
      }
    },
  });
  const onEntry = (e: ReadEntry): void => {
    const type = TYPES[e.type];
    const rel = memberPath(archive, dest, e.path);
    if (!type || rel === '') {
      e.resume();
      return;
    }
    const common = { mode: (e.mode ?? 0o644) & 0o7777, uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: Math.floor((e.mtime?.getTime() ?? 0) / 1000) };
    if (type === 'file') {
      const spool = join(scratchDir, `member-${n++}`);
      out.push({ ...common, name: rel, type, size: e.size ?? 0, source: spool });
      const ws = createWriteStream(spool);
      const written = new Promise<void>((resolve, reject) => ws.on('finish', () => resolve()).on('error', reject));
      written.catch(() => {}); // awaited after the parse; if the parse fails first, its error is the one reported
      spooled.push(written);
      e.pipe(ws);
      return;
    }
    if (type === 'hardlink') {
      out.push({ ...common, name: rel, type, size: 0, linkname: memberPath(archive, dest, e.linkpath ?? '') });
    } else if (type === 'directory') out.push({ ...common, name: rel.replace(/\/?$/, '/'), type, size: 0 });
    else if (type === 'symlink') out.push({ ...common, name: rel, type, size: 0, linkname: e.linkpath ?? '' });
    else out.push({ ...common, name: rel, type, size: 0, devmajor: e.header.devmaj ?? 0, devminor: e.header.devmin ?? 0 });
    e.resume();
  };
  await pipeline(createReadStream(archive), parser);
  await Promise.all(spooled);
  if (failure !== undefined) throw failure;
  return out;
}
