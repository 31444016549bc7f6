// An overlay upper directory (what a RUN step changed) → layer entries in OCI's format:
//   whiteout char device 0/0 (or a file with *.overlay.whiteout)  → empty file `.wh.<name>`
//   directory with *.overlay.opaque=y                              → the directory + `.wh..wh..opq`
// Hardlinks inside the tree become tar hardlinks, symlinks stay as written, owners stay numeric,
// xattrs are kept except overlay's own bookkeeping (trusted.overlay.*, user.overlay.*).
// Entries are sorted by name so the same tree always gives the same bytes.
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stats } from 'node:fs';
import { getXattr, listXattrs } from '../../kernel/xattr-read.js';
import { writeLayer, type LayerBlob, type LayerEntry } from './layer-writer.js';
import { trace } from '../../trace.js';

const OVERLAY_XATTR = /^(trusted|user)\.overlay\./;
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

function overlayFlag(path: string, name: 'opaque' | 'whiteout', attrs: string[]): boolean {
  for (const prefix of ['trusted', 'user']) {
    const key = `${prefix}.overlay.${name}`;
    if (!attrs.includes(key)) continue;
    const v = getXattr(path, key)?.toString('latin1');
    // opaque: "y"; xattr whiteouts (Linux 6.7+) carry an empty value.
    if (name === 'whiteout' || v === 'y') return true;
  }
  return false;
}

function keptXattrs(path: string, attrs: string[]): Map<string, Buffer> | undefined {
  const kept = attrs.filter((a) => !OVERLAY_XATTR.test(a));
  if (kept.length === 0) return undefined;
  const m = new Map<string, Buffer>();
  for (const a of kept) {
    const v = getXattr(path, a);
    if (v) m.set(a, v);
  }
  return m;
}

function devMajor(rdev: number): number {
  return Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn);
}

function devMinor(rdev: number): number {
  return Number(BigInt(rdev) & 0xffn) | Number((BigInt(rdev) >> 12n) & ~0xffn);
}

function isWhiteoutDevice(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function base(name: string, st: Stats): Omit<LayerEntry, 'type' | 'size'> {
  return { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
}

/** Entries of an overlay upper directory, depth first, names sorted bytewise. */
export async function* upperDirEntries(root: string): AsyncGenerator<LayerEntry> {
  const seenInodes = new Map<string, string>();
  async function* walk(dir: string, rel: string): AsyncGenerator<LayerEntry> {
    const names = (await readdir(dir)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const path = join(dir, name);
      const relName = rel + name;
      const st = await lstat(path);
      const attrs = st.isSymbolicLink() ? [] : listXattrs(path);
      if (isWhiteoutDevice(st) || (st.isFile() && st.size === 0 && overlayFlag(path, 'whiteout', attrs))) {
        yield { ...base(rel + WHITEOUT_PREFIX + name, st), mode: 0o600, type: 'file', size: 0 };
        continue;
      }
      const xattrs = keptXattrs(path, attrs);
      const common = { ...base(relName, st), ...(xattrs ? { xattrs } : {}) };
      if (st.isDirectory()) {
        yield { ...common, name: relName + '/', type: 'directory', size: 0 };
        if (overlayFlag(path, 'opaque', attrs)) {
          yield { ...base(relName + '/' + OPAQUE_MARKER, st), mode: st.mode & 0o777, type: 'file', size: 0 };
        }
        yield* walk(path, relName + '/');
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? seenInodes.get(key) : undefined;
        if (first !== undefined) {
          yield { ...common, type: 'hardlink', size: 0, linkname: first };
          continue;
        }
        if (st.nlink > 1) seenInodes.set(key, relName);
        yield { ...common, type: 'file', size: st.size, source: path };
      } else if (st.isSymbolicLink()) {
        yield { ...common, type: 'symlink', size: 0, linkname: await readlink(path) };
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        yield { ...common, type: st.isCharacterDevice() ? 'char' : 'block', size: 0, devmajor: devMajor(st.rdev), devminor: devMinor(st.rdev) };
      } else if (st.isFIFO()) {
        yield { ...common, type: 'fifo', size: 0 };
      }
      // Sockets are not archived (Docker skips them too).
    }
  }
  yield* walk(root, '');
}

/** Writes the changes recorded in an overlay upper dir as a tar+gzip layer at outFile. */
export async function layerFromDir(upperDir: string, outFile: string): Promise<LayerBlob> {
  trace.step('fs', `archive overlay upper ${upperDir} → ${outFile}`, 'a RUN step\'s changes become a layer');
  return writeLayer(upperDirEntries(upperDir), outFile);
}
