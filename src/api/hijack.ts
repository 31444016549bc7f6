// Hijacked streams (attach, exec start). The docker CLI asks for `Upgrade: tcp` and gets a 101 with the
// raw connection both ways; dockerode/docker-modem and testcontainers send no Upgrade and expect a 200
// whose body is the raw stream until the connection closes (moby does both). Either way the caller
// gets one object: write output, read input, and a signal that fires when the client goes away.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';

export interface Hijacked {
  write(data: Buffer): void;
  end(): void;
  /** What the client sends after the headers (only on an upgraded connection). */
  input: Readable;
  /** Aborted when the client disconnects (or the stream was ended). */
  closed: AbortSignal;
}

const CONTENT_TYPE = (multiplexed: boolean) => (multiplexed ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream');

/** After an `upgrade` event: answer 101 and own the socket. */
export function hijackUpgraded(socket: Socket, head: Buffer, multiplexed: boolean): Hijacked {
  const ctl = new AbortController();
  socket.setNoDelay(true);
  socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${CONTENT_TYPE(multiplexed)}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
  const input = new PassThrough();
  if (head.length) input.write(head);
  socket.on('data', (d: Buffer) => input.write(d));
  socket.resume();
  // The client half-closes after its stdin ends; output may go on.
  socket.on('end', () => input.end());
  socket.on('close', () => { input.end(); ctl.abort(); });
  socket.on('error', () => ctl.abort());
  return {
    write: (d) => { if (!socket.destroyed) socket.write(d); },
    end: () => { socket.end(); ctl.abort(); },
    input,
    closed: ctl.signal,
  };
}

/** A plain request: answer 200 and stream the body raw (no chunking) until the end closes it. */
export function hijackPlain(req: IncomingMessage, res: ServerResponse, multiplexed: boolean): Hijacked {
  const ctl = new AbortController();
  res.useChunkedEncodingByDefault = false;
  res.shouldKeepAlive = false;
  res.writeHead(200, { 'Content-Type': CONTENT_TYPE(multiplexed) });
  res.flushHeaders();
  req.socket.setNoDelay(true);
  res.on('close', () => ctl.abort());
  const input = new PassThrough();
  input.end();
  return {
    write: (d) => { if (!res.destroyed) res.write(d); },
    end: () => { res.end(); ctl.abort(); },
    input,
    closed: ctl.signal,
  };
}
