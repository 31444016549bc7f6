// The attach socket of a container without a pty carries Docker's stdcopy frames: demux must keep
// stdout and stderr apart however the frames are cut into chunks.
import { describe, expect, it } from 'vitest';
import { demux, parseDetachKeys } from '../../src/engine/attach.js';
import { detachWatch } from '../../src/engine/attach-stream.js';

function frame(stream: number, text: string): Buffer {
  const body = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

describe('attach demux', () => {
  it('splits frames into stdout and stderr, whatever the chunking', () => {
    const all = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, 'out two\n')]);
    for (const size of [1, 3, 8, 9, all.length]) {
      const got = { out: '', err: '' };
      const feed = demux({ stdout: (b) => (got.out += b.toString()), stderr: (b) => (got.err += b.toString()) });
      for (let i = 0; i < all.length; i += size) feed(all.subarray(i, i + size));
      expect(got).toEqual({ out: 'out one\nout two\n', err: 'err\n' });
    }
  });

  it('parses Docker\'s detach keys', () => {
    expect(parseDetachKeys('ctrl-p,ctrl-q')).toEqual([16, 17]);
    expect(parseDetachKeys('ctrl-a,x')).toEqual([1, 120]);
    expect(() => parseDetachKeys('ctrl-pp')).toThrow(/invalid detach keys/);
  });

  it('watches remote input for the detach keys: held back while they may be the sequence, sent when they were typing', () => {
    const run = (keys: number[], reads: string[]) => {
      let sent = '';
      let detached = false;
      const feed = detachWatch(keys, (d) => (sent += d.toString('latin1')), () => (detached = true));
      for (const r of reads) feed(Buffer.from(r, 'latin1'));
      return { sent, detached };
    };
    const pq = parseDetachKeys('ctrl-p,ctrl-q');
    expect(run(pq, ['ls\n', '\x10', '\x11', 'after'])).toEqual({ sent: 'ls\n', detached: true });
    expect(run(pq, ['ab\x10\x11cd'])).toEqual({ sent: 'ab', detached: true });
    // ctrl-p then something else: both reach the container, in order.
    expect(run(pq, ['\x10', 'x'])).toEqual({ sent: '\x10x', detached: false });
    expect(run(pq, ['\x10', '\x10', '\x11'])).toEqual({ sent: '\x10', detached: true });
    expect(run(parseDetachKeys('ctrl-a,x'), ['\x10\x11', '\x01', 'x'])).toEqual({ sent: '\x10\x11', detached: true });
    // No keys: everything passes.
    expect(run([], ['\x10\x11'])).toEqual({ sent: '\x10\x11', detached: false });
  });
});
