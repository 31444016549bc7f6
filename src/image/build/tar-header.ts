// One tar header (ustar, plus a PAX extended header when a field does not fit: long or non-ASCII
// names, large ids/sizes, xattrs as SCHILY.xattr.*). Written by hand because node-tar's Pack walks
// the disk itself (no whiteout conversion, no control of order) and its Header/Pax carry no xattrs;
// the format is what Go's archive/tar writes for Docker layers, and GNU tar reads it back.
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

function octal(buf: Buffer, offset: number, width: number, value: number): void {
  buf.write(value.toString(8).padStart(width - 1, '0') + '\0', offset, width, 'ascii');
}

function ustar(h: { name: string; typeflag: string; mode: number; uid: number; gid: number; size: number; mtime: number; linkname: string; devmajor: number; devminor: number }): Buffer {
  const b = Buffer.alloc(512);
  b.write(h.name, 0, 100, 'utf8');
  octal(b, 100, 8, h.mode);
  octal(b, 108, 8, h.uid);
  octal(b, 116, 8, h.gid);
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, h.mtime);
  b.write(h.typeflag, 156, 1, 'ascii');
  b.write(h.linkname, 157, 100, 'utf8');
  b.write('ustar\0', 257, 6, 'ascii');
  b.write('00', 263, 2, 'ascii');
  octal(b, 329, 8, h.devmajor);
  octal(b, 337, 8, h.devminor);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return b;
}

/** "len key=value\n" where len counts the whole record, itself included. */
function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

export function padding(size: number): Buffer {
  const rest = size % 512;
  return Buffer.alloc(rest === 0 ? 0 : 512 - rest);
}

const MAX_ID = 0o7777777;
const MAX_SIZE = 0o77777777777;

/** The header block(s) for one entry: an optional PAX header + data, then the ustar header. */
export function encodeHeader(e: TarEntryHeader): Buffer {
  const records: Buffer[] = [];
  const linkname = e.linkname ?? '';
  if (!fitsAscii(e.name, 100)) records.push(paxRecord('path', Buffer.from(e.name)));
  if (!fitsAscii(linkname, 100)) records.push(paxRecord('linkpath', Buffer.from(linkname)));
  if (e.uid > MAX_ID) records.push(paxRecord('uid', Buffer.from(String(e.uid))));
  if (e.gid > MAX_ID) records.push(paxRecord('gid', Buffer.from(String(e.gid))));
  if (e.size > MAX_SIZE) records.push(paxRecord('size', Buffer.from(String(e.size))));
  const mtime = Math.max(0, Math.floor(e.mtime));
  for (const [k, v] of [...(e.xattrs ?? new Map<string, Buffer>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    records.push(paxRecord(`SCHILY.xattr.${k}`, v));
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
