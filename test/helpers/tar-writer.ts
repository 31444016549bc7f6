// A deliberately dumb raw tar writer for tests: it writes exactly the bytes it is told to, including
// the malformed and malicious ones no real archiver would produce. Independent of src/layers/tar-format.ts
// on purpose, so a bug there cannot hide in both the unpacker and its test input.
import { createHash } from 'node:crypto';

export interface RawEntry {
  name: string;
  type?: string; // typeflag character, default '0'
  data?: Buffer | string;
  /** Size written in the header (defaults to data length) */
  size?: number;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  devmajor?: number;
  devminor?: number;
  prefix?: string;
  /** 'posix' (ustar\0 00, default) or 'gnu' (ustar  \0) */
  magic?: 'posix' | 'gnu';
  /** Raw 12-byte size field, e.g. base-256 bytes */
  rawSize?: Buffer;
  badChecksum?: boolean;
}

function octal(n: number, len: number): string {
  return n.toString(8).padStart(len - 1, '0') + '\0';
}

export function header(e: RawEntry): Buffer {
  const b = Buffer.alloc(512);
  b.write(e.name, 0, 100, 'utf8');
  b.write(octal(e.mode ?? 0o644, 8), 100, 'latin1');
  b.write(octal(e.uid ?? 0, 8), 108, 'latin1');
  b.write(octal(e.gid ?? 0, 8), 116, 'latin1');
  const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
  if (e.rawSize) e.rawSize.copy(b, 124);
  else b.write(octal(e.size ?? data.length, 12), 124, 'latin1');
  b.write(octal(e.mtime ?? 1_600_000_000, 12), 136, 'latin1');
  b.write(e.type ?? '0', 156, 1, 'latin1');
  if (e.linkname) b.write(e.linkname, 157, 100, 'utf8');
  if ((e.magic ?? 'posix') === 'posix') b.write('ustar\u000000', 257, 'latin1');
  else b.write('ustar  \u0000', 257, 'latin1');
  b.write(octal(e.devmajor ?? 0, 8), 329, 'latin1');
  b.write(octal(e.devminor ?? 0, 8), 337, 'latin1');
  if (e.prefix) b.write(e.prefix, 345, 155, 'utf8');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const v of b) sum += v;
  if (e.badChecksum) sum += 1;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return b;
}

export function padded(data: Buffer): Buffer {
  const pad = (512 - (data.length % 512)) % 512;
  return Buffer.concat([data, Buffer.alloc(pad)]);
}

/** One entry: header plus padded data. */
export function entry(e: RawEntry): Buffer {
  const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
  return Buffer.concat([header(e), padded(data)]);
}

export function paxRecord(key: string, value: string | Buffer): Buffer {
  const kv = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')]);
  let len = kv.length + 1;
  while (String(len).length + kv.length !== len) len = String(len).length + kv.length;
  return Buffer.concat([Buffer.from(String(len)), kv]);
}

/** A pax extended header ('x', or 'g' for global) with the given records. */
export function pax(records: Array<[string, string | Buffer]>, type: 'x' | 'g' = 'x'): Buffer {
  const body = Buffer.concat(records.map(([k, v]) => paxRecord(k, v)));
  return entry({ name: 'PaxHeader/x', type, data: body });
}

/** A GNU long name ('L') or long link ('K') pseudo-entry. */
export function gnuLong(type: 'L' | 'K', value: string): Buffer {
  return entry({ name: '././@LongLink', type, data: Buffer.from(value + '\0'), magic: 'gnu' });
}

export const END = Buffer.alloc(1024);

export function tar(...parts: Buffer[]): Buffer {
  return Buffer.concat([...parts, END]);
}

export function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}
