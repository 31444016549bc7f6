// Docker's stdcopy framing of a non-tty stream: an 8-byte header (stream 0/1/2, three zero bytes, the
// payload's length big-endian) before each payload, so stdout and stderr share one connection.
// Stream 0 is stdin, which a server never sends.
export const STDOUT = 1;
export const STDERR = 2;

export function frame(stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}
