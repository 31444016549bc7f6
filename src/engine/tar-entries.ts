// A tar stream (plain or gzip, from stdin, a file or an HTTP body) as FsEntry values, read with node-tar's
// Parser one entry at a time: the parser waits while an entry's content is being written, so a large
// file is streamed, never held in memory. Only the header fields are taken from node-tar; where the
// entries land is decided by the sink (container-files.ts resolves every name inside the container).
import type { Readable } from 'node:stream';
import { Parser, type ReadEntry } from 'tar';
import type { EntryType, FsEntry } from './fs-entries.js';

const TYPES: Record<string, EntryType> = {
  File: 'file', OldFile: 'file', ContiguousFile: 'file', Link: 'hardlink', SymbolicLink: 'symlink',
  CharacterDevice: 'char', BlockDevice: 'block', Directory: 'directory', FIFO: 'fifo',
};

export async function* tarEntries(input: Readable): AsyncGenerator<FsEntry> {
  const queue: ReadEntry[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let failure: unknown;
  const parser = new Parser({
    onReadEntry: (e: ReadEntry) => {
      queue.push(e);
      wake?.();
    },
  });
  parser.on('error', (e: unknown) => {
    failure = e;
    wake?.();
  });
  parser.on('end', () => {
    ended = true;
    wake?.();
  });
  input.on('error', (e) => {
    failure = e;
    wake?.();
  });
  input.pipe(parser as unknown as NodeJS.WritableStream);
  try {
    for (;;) {
      while (!queue.length && !ended && failure === undefined) await new Promise<void>((r) => (wake = r));
      wake = undefined;
      if (failure !== undefined) throw failure;
      const e = queue.shift();
      if (!e) return;
      const type = TYPES[e.type];
      if (!type) {
        e.resume();
        continue;
      }
      const head = { name: e.path, type, mode: (e.mode ?? 0o644) & 0o7777, uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: Math.floor((e.mtime?.getTime() ?? 0) / 1000), size: type === 'file' ? e.size ?? 0 : 0 };
      if (type === 'file') {
        let taken = false;
        yield { ...head, content: () => { taken = true; return e as unknown as AsyncIterable<Buffer>; } };
        if (!taken) e.resume();
      } else {
        e.resume();
        yield {
          ...head,
          ...(type === 'symlink' || type === 'hardlink' ? { linkname: e.linkpath ?? '' } : {}),
          ...(type === 'char' || type === 'block' ? { devmajor: e.header.devmaj ?? 0, devminor: e.header.devmin ?? 0 } : {}),
        };
      }
    }
  } finally {
    input.unpipe(parser as unknown as NodeJS.WritableStream);
    if (!ended) input.destroy();
  }
}
