// The WebSocket framing of GET /containers/{id}/attach/ws (src/api/websocket.ts): RFC 6455's accept
// key, server frames of every length class, client frames unmasked across split reads, and the
// refusals (unmasked, reserved bits, too large) with their close codes.
import { describe, expect, it } from 'vitest';
import { acceptKey, encodeFrame, FrameReader, MAX_FRAME, OP, WsClose } from '../../src/api/websocket.js';

function clientFrame(opcode: number, payload: Buffer, fin = true, mask = Buffer.from([1, 2, 3, 4])): Buffer {
  const n = payload.length;
  const len = n < 126 ? Buffer.from([0x80 | n]) : n < 0x10000 ? Buffer.from([0x80 | 126, n >> 8, n & 0xff]) : (() => { const b = Buffer.alloc(9); b[0] = 0x80 | 127; b.writeBigUInt64BE(BigInt(n), 1); return b; })();
  const body = Buffer.from(payload.map((c, i) => c ^ mask[i & 3]!));
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode]), len, mask, body]);
}

describe('websocket framing', () => {
  it('accept key is RFC 6455\'s example', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('server frames: 7-bit, 16-bit and 64-bit lengths, FIN set, unmasked', () => {
    expect([...encodeFrame(OP.binary, Buffer.from('hi'))]).toEqual([0x82, 2, 0x68, 0x69]);
    const mid = encodeFrame(OP.text, Buffer.alloc(300, 1));
    expect([...mid.subarray(0, 4)]).toEqual([0x81, 126, 1, 44]);
    expect(mid.length).toBe(304);
    const big = encodeFrame(OP.binary, Buffer.alloc(70_000));
    expect(big[1]).toBe(127);
    expect(big.readBigUInt64BE(2)).toBe(70_000n);
    expect(big.length).toBe(70_010);
  });

  it('client frames: unmasked, whole whatever the read boundaries, fragments kept in order', () => {
    const bytes = Buffer.concat([clientFrame(OP.text, Buffer.from('echo '), false), clientFrame(OP.continuation, Buffer.from('hi\n')), clientFrame(OP.binary, Buffer.alloc(1000, 0x61)), clientFrame(OP.ping, Buffer.from('p'))]);
    for (const step of [1, 3, 7, bytes.length]) {
      const r = new FrameReader();
      const frames = [];
      for (let i = 0; i < bytes.length; i += step) frames.push(...r.push(bytes.subarray(i, i + step)));
      expect(frames.map((f) => [f.fin, f.opcode, f.payload.length])).toEqual([[false, OP.text, 5], [true, OP.continuation, 3], [true, OP.binary, 1000], [true, OP.ping, 1]]);
      expect(Buffer.concat(frames.slice(0, 2).map((f) => f.payload)).toString()).toBe('echo hi\n');
      expect(frames[2]!.payload.every((c) => c === 0x61)).toBe(true);
    }
  });

  it('refuses unmasked frames and reserved bits (1002) and frames over the limit (1009)', () => {
    const code = (b: Buffer) => { try { new FrameReader().push(b); return 0; } catch (e) { return e instanceof WsClose ? e.code : -1; } };
    expect(code(Buffer.from([0x82, 0x01, 0x61]))).toBe(1002);
    expect(code(Buffer.from([0xc2, 0x81, 0, 0, 0, 0, 0x61]))).toBe(1002);
    const huge = Buffer.alloc(10);
    huge[0] = 0x82;
    huge[1] = 0x80 | 127;
    huge.writeBigUInt64BE(BigInt(MAX_FRAME + 1), 2);
    expect(code(huge)).toBe(1009);
  });
});
