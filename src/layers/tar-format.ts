// The tar wire format, both directions: decode one 512-byte header block the way GNU tar reads it,
// and encode the canonical ustar (+ pax) headers the gate hands to GNU tar.
//
// Why our own codec and not node-tar's Header/Pax: pax values are bytes (security.capability is
// binary) and node-tar decodes them as UTF-8; and the GNU "ustar  " magic means the prefix field is
// NOT a name prefix (it holds atime/ctime there) — reading it as one would make us disagree with GNU tar
// about which file an entry names. The gate re-encodes every header, so GNU tar only ever parses
// headers written here, whose meaning we know exactly.

export const BLOCK = 512;

export interface RawHeader {
  name: Buffer;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: Buffer;
  devmajor: number;
  devminor: number;
  /** POSIX ustar ("ustar\0"): the prefix field extends the name. GNU/v7 headers have no prefix. */
  prefix: Buffer;
}

export class TarFormatError extends Error {}

function cstr(b: Buffer, off: number, len: number): Buffer {
  const s = b.subarray(off, off + len);
  const nul = s.indexOf(0);
  return nul === -1 ? s : s.subarray(0, nul);
}

/** Octal (NUL/space padded) or GNU base-256 (high bit set). Negative base-256 values are refused. */
export function decodeNumber(b: Buffer, off: number, len: number, field: string): number {
  const f = b.subarray(off, off + len);
  if (f[0]! & 0x80) {
    if (f[0] === 0xff) throw new TarFormatError(`negative ${field}`);
    let n = f[0]! & 0x7f;
    for (let i = 1; i < len; i++) {
      n = n * 256 + f[i]!;
      if (n > Number.MAX_SAFE_INTEGER) throw new TarFormatError(`${field} too large`);
    }
    return n;
  }
  // Octal digits, optionally surrounded by spaces and ended by NUL/space. A hand loop: this runs
  // six times per entry and regex/toString here showed up in profiles.
  let i = 0;
  while (i < len && f[i] === 0x20) i++;
  let n = 0;
  let digits = 0;
  for (; i < len; i++) {
    const c = f[i]!;
    if (c >= 0x30 && c <= 0x37) {
      n = n * 8 + (c - 0x30);
      digits++;
    } else break;
  }
  for (; i < len; i++) if (f[i] !== 0 && f[i] !== 0x20) throw new TarFormatError(`${field} is not an octal number`);
  if (digits > 0 && !Number.isSafeInteger(n)) throw new TarFormatError(`${field} too large`);
  return n;
}

export function isZeroBlock(b: Buffer, off: number): boolean {
  for (let i = off; i < off + BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function checksumOk(b: Buffer, off: number): boolean {
  let unsigned = 8 * 0x20; // the checksum field itself counts as eight spaces
  for (let i = off; i < off + 148; i++) unsigned += b[i]!;
  for (let i = off + 156; i < off + BLOCK; i++) unsigned += b[i]!;
  const stored = decodeNumber(b, off + 148, 8, 'checksum');
  if (stored === unsigned) return true;
  let signed = 8 * 0x20; // old tars summed signed chars; GNU tar accepts both
  for (let i = off; i < off + BLOCK; i++) {
    if (i >= off + 148 && i < off + 156) continue;
    const v = b[i]!;
    signed += v > 127 ? v - 256 : v;
  }
  return stored === signed;
}

export function decodeHeader(buf: Buffer, off: number): RawHeader {
  if (!checksumOk(buf, off)) throw new TarFormatError('header checksum mismatch (not a tar, or corrupt)');
  const b = buf.subarray(off, off + BLOCK);
  const magic = b.subarray(257, 263).toString('latin1');
  return {
    name: Buffer.from(cstr(b, 0, 100)),
    mode: decodeNumber(b, 100, 8, 'mode'),
    uid: decodeNumber(b, 108, 8, 'uid'),
    gid: decodeNumber(b, 116, 8, 'gid'),
    size: decodeNumber(b, 124, 12, 'size'),
    mtime: decodeNumber(b, 136, 12, 'mtime'),
    typeflag: String.fromCharCode(b[156]!),
    linkname: Buffer.from(cstr(b, 157, 100)),
    devmajor: decodeNumber(b, 329, 8, 'devmajor'),
    devminor: decodeNumber(b, 337, 8, 'devminor'),
    prefix: magic === 'ustar\0' ? Buffer.from(cstr(b, 345, 155)) : Buffer.alloc(0),
  };
}

/** pax extended records: "<len> <key>=<value>\n", values kept as bytes. */
export function parsePax(body: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let i = 0;
  while (i < body.length) {
    if (body[i] === 0) break; // NUL padding after the last record
    const sp = body.indexOf(0x20, i);
    if (sp === -1 || sp - i > 20) throw new TarFormatError('malformed pax record');
    const lenStr = body.toString('latin1', i, sp);
    if (!/^[0-9]+$/.test(lenStr)) throw new TarFormatError('malformed pax record length');
    const len = Number(lenStr);
    const end = i + len;
    if (len <= sp - i + 2 || end > body.length || body[end - 1] !== 0x0a) throw new TarFormatError('malformed pax record');
    const rec = body.subarray(sp + 1, end - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw new TarFormatError('malformed pax record');
    const key = rec.toString('utf8', 0, eq);
    if (out.has(key)) throw new TarFormatError(`duplicate pax key ${key}`);
    out.set(key, rec.subarray(eq + 1)); // a view: the caller hands us a private copy of the body
    i = end;
  }
  return out;
}

export function encodePaxRecord(key: string, value: Buffer): Buffer {
  const kv = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = kv.length + 1;
  while (String(len).length + kv.length !== len) len = String(len).length + kv.length;
  return Buffer.concat([Buffer.from(String(len)), kv]);
}

function writeOctal(b: Buffer, off: number, len: number, n: number): void {
  b.write(n.toString(8).padStart(len - 1, '0') + '\0', off, len, 'latin1');
}

/** A header as written: no prefix field; name and linkname ≤ 100 bytes (longer ones travel in a pax record). */
export type CanonicalHeader = Omit<RawHeader, 'prefix'>;

export function encodeHeader(h: CanonicalHeader): Buffer {
  const b = Buffer.alloc(BLOCK);
  h.name.copy(b, 0, 0, 100);
  writeOctal(b, 100, 8, h.mode);
  writeOctal(b, 108, 8, h.uid);
  writeOctal(b, 116, 8, h.gid);
  writeOctal(b, 124, 12, h.size);
  writeOctal(b, 136, 12, h.mtime);
  b.write(h.typeflag, 156, 1, 'latin1');
  h.linkname.copy(b, 157, 0, 100);
  b.write('ustar\u000000', 257, 8, 'latin1');
  writeOctal(b, 329, 8, h.devmajor);
  writeOctal(b, 337, 8, h.devminor);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

/** A pax 'x' header plus its padded body, for the entry that follows. */
export function encodePaxHeader(records: Buffer[]): Buffer {
  const body = Buffer.concat(records);
  const head = encodeHeader({
    name: Buffer.from('PaxHeader'), mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: 0,
    typeflag: 'x', linkname: Buffer.alloc(0), devmajor: 0, devminor: 0,
  });
  const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
  return Buffer.concat([head, body, Buffer.alloc(pad)]);
}

export const MAX_OCTAL_7 = 0o7777777;
export const MAX_OCTAL_11 = 0o77777777777;
