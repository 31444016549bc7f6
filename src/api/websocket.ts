// The server side of RFC 6455 (WebSocket), just what GET /containers/{id}/attach/ws needs: the opening
// handshake, unfragmented data frames out, and client frames in (masked, possibly fragmented; ping is
// answered, close is echoed). Hand-written because no WebSocket package is among skiff's dependencies
// and the framing is small; moby serves this endpoint with golang.org/x/net/websocket.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import type { Hijacked } from './hijack.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
export const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;
/** A client frame larger than this is refused (close 1009): attach input is keystrokes and pastes. */
export const MAX_FRAME = 16 << 20;

export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** Why a request is not a WebSocket opening handshake, or undefined when it is one. */
export function handshakeProblem(req: IncomingMessage): string | undefined {
  if (!/\bwebsocket\b/i.test(String(req.headers.upgrade ?? ''))) return 'not a websocket handshake: Upgrade: websocket is missing';
  if (!/\bupgrade\b/i.test(String(req.headers.connection ?? ''))) return 'not a websocket handshake: Connection: Upgrade is missing';
  if (req.headers['sec-websocket-version'] !== '13') return 'unsupported websocket version (only 13)';
  const key = String(req.headers['sec-websocket-key'] ?? '');
  if (Buffer.from(key, 'base64').length !== 16) return 'not a websocket handshake: bad Sec-WebSocket-Key';
  return undefined;
}

/** One unmasked server frame (FIN set). */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : n < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n < 0x10000) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else if (n >= 0x10000) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

export interface Frame { fin: boolean; opcode: number; payload: Buffer }

/**
 * Client frames out of a byte stream: push bytes, get whole frames. Throws a close code (1002 protocol
 * error: unmasked client frame, reserved bits; 1009: too big) for the caller to send and hang up.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(data: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    const out: Frame[] = [];
    for (;;) {
      const b = this.buf;
      if (b.length < 2) break;
      if (b[0]! & 0x70) throw new WsClose(1002, 'reserved bits set');
      if (!(b[1]! & 0x80)) throw new WsClose(1002, 'client frames must be masked');
      let len = b[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (b.length < 4) break;
        len = b.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (b.length < 10) break;
        const big = b.readBigUInt64BE(2);
        if (big > BigInt(MAX_FRAME)) throw new WsClose(1009, 'frame too large');
        len = Number(big);
        at = 10;
      }
      if (len > MAX_FRAME) throw new WsClose(1009, 'frame too large');
      if (b.length < at + 4 + len) break;
      const mask = b.subarray(at, at + 4);
      const payload = Buffer.from(b.subarray(at + 4, at + 4 + len));
      for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
      out.push({ fin: !!(b[0]! & 0x80), opcode: b[0]! & 0x0f, payload });
      this.buf = b.subarray(at + 4 + len);
    }
    return out;
  }
}

export class WsClose extends Error {
  constructor(readonly code: number, reason: string) {
    super(reason);
  }
}

function closeFrame(code: number, reason = ''): Buffer {
  const p = Buffer.alloc(2 + Buffer.byteLength(reason));
  p.writeUInt16BE(code, 0);
  p.write(reason, 2);
  return encodeFrame(OP.close, p);
}

/**
 * Answer the handshake (101) and own the socket: what the caller writes goes out as data frames of
 * `opcode` (moby: text frames before API 1.42, binary from 1.42); data frames that arrive feed `input`.
 */
export function hijackWebSocket(req: IncomingMessage, socket: Socket, head: Buffer, opcode: number): Hijacked {
  const ctl = new AbortController();
  socket.setNoDelay(true);
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(String(req.headers['sec-websocket-key']))}\r\n\r\n`);
  const input = new PassThrough();
  const reader = new FrameReader();
  let closing = false;
  const finish = (code: number, reason = '') => {
    if (!closing && !socket.destroyed) socket.end(closeFrame(code, reason));
    closing = true;
    input.end();
    ctl.abort();
  };
  const onData = (d: Buffer) => {
    let frames: Frame[];
    try {
      frames = reader.push(d);
    } catch (e) {
      finish(e instanceof WsClose ? e.code : 1002, (e as Error).message);
      return;
    }
    for (const f of frames) {
      if (f.opcode === OP.text || f.opcode === OP.binary || f.opcode === OP.continuation) {
        if (f.payload.length) input.write(f.payload);
      } else if (f.opcode === OP.ping) {
        if (!socket.destroyed) socket.write(encodeFrame(OP.pong, f.payload));
      } else if (f.opcode === OP.close) {
        finish(f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1000);
        return;
      } else if (f.opcode !== OP.pong) {
        finish(1002, 'unknown opcode');
        return;
      }
    }
  };
  if (head.length) onData(head);
  socket.on('data', onData);
  socket.resume();
  socket.on('end', () => input.end());
  socket.on('close', () => { input.end(); ctl.abort(); });
  socket.on('error', () => ctl.abort());
  return {
    write: (d) => { if (!closing && !socket.destroyed && d.length) socket.write(encodeFrame(opcode, d)); },
    end: () => finish(1000),
    input,
    closed: ctl.signal,
  };
}
