// Building and parsing rtnetlink messages (rtnetlink(7), netlink(7)) as plain Buffers.
// Kept apart from the socket so the byte layout can be unit-tested against known bytes without root.
//
// Layout reminders that cost a debugging session each:
//  - every attribute is padded to 4 bytes, and the padding is NOT counted in rta_len;
//  - a nested attribute (IFLA_LINKINFO, IFLA_INFO_DATA, VETH_INFO_PEER) must carry NLA_F_NESTED,
//    newer kernels reject nested attributes without it in strict mode.

export const NLMSG_HDRLEN = 16;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

export const NLM_F = {
  REQUEST: 0x1,
  MULTI: 0x2,
  ACK: 0x4,
  ROOT: 0x100,
  MATCH: 0x200,
  DUMP: 0x300,
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
} as const;

export const RTM = {
  NEWLINK: 16, DELLINK: 17, GETLINK: 18, NEWADDR: 20, DELADDR: 21, GETADDR: 22, NEWROUTE: 24, DELROUTE: 25, GETROUTE: 26,
  NEWRULE: 32,
} as const;

export const NLA_F_NESTED = 0x8000;

export function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * One attribute: a type and either raw bytes or child attributes (then it is nested). `rawNested`
 * marks raw bytes that are still a nested attribute for the kernel (VETH_INFO_PEER: an ifinfomsg
 * followed by attributes).
 */
export type Attr = { type: number; data: Buffer; rawNested?: boolean } | { type: number; nested: Attr[] };

export const attr = {
  bytes: (type: number, data: Buffer): Attr => ({ type, data }),
  u32: (type: number, v: number): Attr => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return { type, data: b };
  },
  /** NUL-terminated string, as the kernel wants for names (IFLA_IFNAME, IFLA_INFO_KIND). */
  str: (type: number, s: string): Attr => ({ type, data: Buffer.from(s + '\0') }),
  ipv4: (type: number, ip: string): Attr => ({ type, data: ipv4Bytes(ip) }),
  nested: (type: number, nested: Attr[]): Attr => ({ type, nested }),
};

export function ipv4Bytes(ip: string): Buffer {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return Buffer.from(parts);
}

export function encodeAttrs(attrs: Attr[]): Buffer {
  const chunks: Buffer[] = [];
  for (const a of attrs) {
    const payload = 'nested' in a ? encodeAttrs(a.nested) : a.data;
    const len = 4 + payload.length;
    const b = Buffer.alloc(align4(len));
    b.writeUInt16LE(len, 0);
    b.writeUInt16LE('nested' in a || a.rawNested ? a.type | NLA_F_NESTED : a.type, 2);
    payload.copy(b, 4);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Flat map of one level of attributes (type without the NESTED/BYTEORDER flags → payload). */
export function decodeAttrs(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) break;
    const type = buf.readUInt16LE(off + 2) & 0x3fff;
    out.set(type, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

/** struct ifinfomsg (16 bytes). */
export function ifinfomsg(o: { family?: number; type?: number; index?: number; flags?: number; change?: number } = {}): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(o.family ?? 0, 0);
  b.writeUInt16LE(o.type ?? 0, 2);
  b.writeInt32LE(o.index ?? 0, 4);
  b.writeUInt32LE(o.flags ?? 0, 8);
  b.writeUInt32LE(o.change ?? 0, 12);
  return b;
}

/** struct ifaddrmsg (8 bytes). */
export function ifaddrmsg(o: { family: number; prefixLen: number; flags?: number; scope?: number; index: number }): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(o.family, 0);
  b.writeUInt8(o.prefixLen, 1);
  b.writeUInt8(o.flags ?? 0, 2);
  b.writeUInt8(o.scope ?? 0, 3);
  b.writeUInt32LE(o.index, 4);
  return b;
}

/** struct rtmsg (12 bytes). */
export function rtmsg(o: { family: number; dstLen?: number; table: number; protocol: number; scope: number; type: number }): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt8(o.family, 0);
  b.writeUInt8(o.dstLen ?? 0, 1);
  b.writeUInt8(o.table, 4);
  b.writeUInt8(o.protocol, 5);
  b.writeUInt8(o.scope, 6);
  b.writeUInt8(o.type, 7);
  return b;
}

/** A whole message: nlmsghdr + fixed header + attributes. pid 0 = addressed to the kernel. */
export function buildMessage(type: number, flags: number, seq: number, fixed: Buffer, attrs: Attr[] = []): Buffer {
  const body = Buffer.concat([fixed, Buffer.alloc(align4(fixed.length) - fixed.length), encodeAttrs(attrs)]);
  const hdr = Buffer.alloc(NLMSG_HDRLEN);
  hdr.writeUInt32LE(NLMSG_HDRLEN + body.length, 0);
  hdr.writeUInt16LE(type, 4);
  hdr.writeUInt16LE(flags, 6);
  hdr.writeUInt32LE(seq, 8);
  hdr.writeUInt32LE(0, 12);
  return Buffer.concat([hdr, body]);
}

export interface ParsedMessage { type: number; flags: number; seq: number; payload: Buffer }

/** Split one datagram into its messages. */
export function parseMessages(buf: Buffer): ParsedMessage[] {
  const out: ParsedMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > buf.length) break;
    out.push({ type: buf.readUInt16LE(off + 4), flags: buf.readUInt16LE(off + 6), seq: buf.readUInt32LE(off + 8), payload: buf.subarray(off + NLMSG_HDRLEN, off + len) });
    off += align4(len);
  }
  return out;
}

/** NLMSG_ERROR payload: errno (negative, 0 = ACK). */
export function errorCode(m: ParsedMessage): number {
  return -m.payload.readInt32LE(0);
}
