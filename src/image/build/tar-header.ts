// One tar header (ustar, plus a PAX extended header when a field does not fit: long or non-ASCII
// names, large ids/sizes, xattrs as SCHILY.xattr.*). Written by hand because node-tar's Pack walks
// the disk itself (no whiteout conversion, no control of order) and its Header/Pax carry no xattrs;
// the format is what Go's archive/tar writes for Docker layers, and GNU tar reads it back. The
// 512-byte ustar block and the pax records are the unpacker's own codec (layers/tar-format.ts).
import { encodeHeader as encodeUstar, encodePaxRecord, MAX_OCTAL_11 as MAX_SIZE, MAX_OCTAL_7 as MAX_ID } from '../../layers/tar-format.js';

export type TarType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

export interface TarEntryHeader {
  /** Path inside the layer, relative, no leading "./"; directories end with "/". */
  name: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Map<string, Buffer>;
}

const TYPEFLAG: Record<TarType, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', directory: '5', fifo: '6' };

function fitsAscii(s: string, max: number): boolean {
  return Buffer.byteLength(s) <= max && /^[\x20-\x7e]*$/.test(s);
}

/** One ustar block; names and link names here are printable ASCII of at most 100 bytes. */
function ustar(h: { name: string; typeflag: string; mode: number; uid: number; gid: number; size: number; mtime: number; linkname: string; devmajor: number; devminor: number }): Buffer {
  return encodeUstar({ ...h, name: Buffer.from(h.name), linkname: Buffer.from(h.linkname) });
}

export function padding(size: number): Buffer {
  const rest = size % 512;
  return Buffer.alloc(rest === 0 ? 0 : 512 - rest);
}

/** The header block(s) for one entry: an optional PAX header + data, then the ustar header. */
export function encodeHeader(e: TarEntryHeader): Buffer {
  const records: Buffer[] = [];
  const linkname = e.linkname ?? '';
  if (!fitsAscii(e.name, 100)) records.push(encodePaxRecord('path', Buffer.from(e.name)));
  if (!fitsAscii(linkname, 100)) records.push(encodePaxRecord('linkpath', Buffer.from(linkname)));
  if (e.uid > MAX_ID) records.push(encodePaxRecord('uid', Buffer.from(String(e.uid))));
  if (e.gid > MAX_ID) records.push(encodePaxRecord('gid', Buffer.from(String(e.gid))));
  if (e.size > MAX_SIZE) records.push(encodePaxRecord('size', Buffer.from(String(e.size))));
  const mtime = Math.max(0, Math.floor(e.mtime));
  for (const [k, v] of [...(e.xattrs ?? new Map<string, Buffer>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    records.push(encodePaxRecord(`SCHILY.xattr.${k}`, v));
  }
  const main = ustar({
    name: fitsAscii(e.name, 100) ? e.name : asciiPrefix(e.name),
    typeflag: TYPEFLAG[e.type],
    mode: e.mode & 0o7777,
    uid: Math.min(e.uid, MAX_ID),
    gid: Math.min(e.gid, MAX_ID),
    size: e.type === 'file' ? Math.min(e.size, MAX_SIZE) : 0,
    mtime,
    linkname: fitsAscii(linkname, 100) ? linkname : asciiPrefix(linkname),
    devmajor: e.devmajor ?? 0,
    devminor: e.devminor ?? 0,
  });
  if (records.length === 0) return main;
  const data = Buffer.concat(records);
  const pax = ustar({ name: asciiPrefix(`PaxHeaders/${e.name}`), typeflag: 'x', mode: 0o644, uid: 0, gid: 0, size: data.length, mtime, linkname: '', devmajor: 0, devminor: 0 });
  return Buffer.concat([pax, data, padding(data.length), main]);
}

/** A stand-in for readers without PAX support: printable ASCII, at most 100 bytes. */
function asciiPrefix(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '_').slice(0, 100);
}

export const END_OF_ARCHIVE = Buffer.alloc(1024);
