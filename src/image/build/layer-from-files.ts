// A COPY/ADD step's layer: the resolved context files at their image paths, plus the directories
// leading to them. As Docker does: owners 0:0 unless --chown (which also owns the directories the
// step creates for its destination), modes kept unless --chmod, symlinks copied as links.
import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { CopyItem } from './build-context.js';
import { writeLayer, type LayerBlob, type LayerEntry } from './layer-writer.js';
import { trace } from '../../trace.js';

export interface CopyOwnership {
  uid: number;
  gid: number;
  /** --chmod: replaces the permission bits of every copied file and directory. */
  mode?: number;
}

/** Layer entries for COPY items, parents first, sorted by path. */
export async function copyEntries(items: CopyItem[], own: CopyOwnership = { uid: 0, gid: 0 }): Promise<LayerEntry[]> {
  const byName = new Map<string, LayerEntry>();
  for (const item of items) {
    const st = await lstat(item.source);
    const rel = item.target.replace(/^\/+/, '');
    if (rel === '') continue; // copying a directory onto / itself: its contents follow
    const mode = own.mode ?? st.mode & 0o7777;
    const common = { uid: own.uid, gid: own.gid, mtime: Math.floor(st.mtimeMs / 1000) };
    if (st.isDirectory()) byName.set(rel + '/', { ...common, name: rel + '/', type: 'directory', mode, size: 0 });
    else if (st.isSymbolicLink()) byName.set(rel, { ...common, name: rel, type: 'symlink', mode: 0o777, size: 0, linkname: await readlink(item.source) });
    else if (st.isFile()) byName.set(rel, { ...common, name: rel, type: 'file', mode, size: st.size, source: item.source });
    // Devices, fifos and sockets in a build context are not copied.
  }
  // Directories the step must create: 0755, owned like the copied files (Docker's --chown applies to
  // them), dated like the newest copied file so the same context always gives the same layer.
  const newest = Math.max(0, ...[...byName.values()].map((e) => e.mtime));
  for (const name of [...byName.keys()]) {
    let dir = posix.dirname(name.replace(/\/$/, ''));
    while (dir !== '.' && dir !== '/' && !byName.has(dir + '/')) {
      byName.set(dir + '/', { name: dir + '/', type: 'directory', mode: 0o755, uid: own.uid, gid: own.gid, mtime: newest, size: 0 });
      dir = posix.dirname(dir);
    }
  }
  return [...byName.values()].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
}

/** Writes a COPY step's layer to outFile. */
export async function layerFromFiles(items: CopyItem[], own: CopyOwnership | undefined, outFile: string): Promise<LayerBlob> {
  trace.step('fs', `archive ${items.length} context paths → ${outFile}`, 'a COPY step becomes a layer');
  return writeLayer(await copyEntries(items, own), outFile);
}
