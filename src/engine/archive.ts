// The archive verbs of the Engine API (and `skiff export`): a path of a container as a tar with its
// stat (GET/HEAD /containers/{id}/archive, what `docker cp` asks for), a tar extracted into a directory
// of a container (PUT …/archive), and the whole filesystem as a tar (export). Paths are resolved inside
// the container's root exactly as for `skiff cp` (container-files.ts).
import { closeSync, fstatSync } from 'node:fs';
import { basename, posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SkiffError } from '../errors.js';
import { withContainerRoot } from './container-root.js';
import { containerEntries, openContainerPath, writeEntries } from './container-files.js';
import { tarStream, type FsEntry } from './fs-entries.js';
import { notFoundInContainer, pathStat, type PathStat } from './cp.js';
import { tarEntries } from './tar-entries.js';
import { readConfig } from '../state/containers.js';
import { recordContainerEvent } from '../state/events.js';

/**
 * `path` of the container: `sink` gets its stat first and returns where the tar goes (or undefined for
 * the stat alone, as HEAD asks). The last name is not followed, as in Docker's ArchivePath.
 */
export async function archiveFromContainer(id: string, ref: string, path: string, sink: (stat: PathStat) => Writable | undefined): Promise<void> {
  await withContainerRoot(id, 'read', async (root) => {
    const fd = openContainerPath(root, path);
    if (fd === undefined) throw notFoundInContainer(path, ref);
    try {
      const st = fstatSync(fd);
      const out = sink(pathStat(root, path, st));
      // A stat alone (HEAD) is no event; the tar is moby's `archive-path`, logged as it starts, as dockerd does.
      if (!out) return;
      recordContainerEvent(readConfig(id), 'archive-path');
      const rebase = /\/\.$/.test(path) ? '.' : basename(posix.normalize('/' + path)) || '.';
      await pipeline(tarStream(containerEntries(fd, rebase)), out);
    } finally {
      closeSync(fd);
    }
  });
}

/** A tar extracted into the directory `path` of the container (which must exist). */
export async function extractToContainer(id: string, ref: string, path: string, input: Readable, o: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void> {
  await withContainerRoot(id, 'write', async (root) => {
    const fd = openContainerPath(root, path, true);
    if (fd === undefined) throw notFoundInContainer(path, ref);
    const isDir = fstatSync(fd).isDirectory();
    closeSync(fd);
    if (!isDir) throw new SkiffError('EUSAGE', 'extraction point is not a directory', undefined, { exitCode: 1 });
    await writeEntries(root, path, tarEntries(input), {
      noOverwriteDirNonDir: o.noOverwriteDirNonDir,
      ...(o.copyUIDGID ? {} : { owner: { uid: 0, gid: 0 } }),
    });
    // moby's `extract-to-dir`, once the content is in.
    recordContainerEvent(readConfig(id), 'extract-to-dir');
  });
}

async function* withoutRoot(entries: AsyncIterable<FsEntry>): AsyncGenerator<FsEntry> {
  for await (const e of entries) if (e.name !== '') yield e;
}

/**
 * The container's filesystem (image layers + its changes, no volumes or mounts) as a tar, as `docker export`
 * — `skiff export` and the API's alike, so both record moby's `export` event (as the tar starts, as dockerd).
 */
export async function exportContainer(id: string, out: Writable): Promise<void> {
  await withContainerRoot(id, 'export', async (root) => {
    recordContainerEvent(readConfig(id), 'export');
    await pipeline(tarStream(withoutRoot(containerEntries(root, ''))), out);
  });
}
