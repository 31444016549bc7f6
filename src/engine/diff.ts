// `skiff diff` and GET /containers/{id}/changes: what a container changed, read from its overlay upper
// dir the way moby's OverlayChanges reads it — a depth-first walk in name order; a whiteout (0/0 char
// device) or an opaque directory is D, a name that exists in an image layer is C (a directory whose
// size, mode and mtime equal the layer's is skipped), anything else A; the parent of an A or D is C.
// The mount points skiff itself makes for a container (Docker keeps them in its "-init" layer) are not
// changes. The upper dir is walked through directory fds that never follow a symlink, so a running
// container swapping a directory for a link cannot make the walk read the host.
import { closeSync, fstatSync, openSync, readdirSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { O, openChild, openInRoot } from '../kernel/fs-at.js';
import { getXattr } from '../kernel/xattr-read.js';
import { readConfig } from '../state/containers.js';

export interface Change { kind: 'C' | 'A' | 'D'; path: string }

/** What Docker's init layer holds: mount points and files the engine provides, never the container's change. */
const ENGINE_PATHS = ['/dev', '/proc', '/sys', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/etc/mtab', '/.dockerenv'];
const isEnginePath = (p: string) => ENGINE_PATHS.some((e) => p === e || p.startsWith(e + '/'));

function isOpaque(fd: number): boolean {
  for (const key of ['user.overlay.opaque', 'trusted.overlay.opaque']) {
    if (getXattr(`/proc/self/fd/${fd}`, key)?.toString('latin1') === 'y') return true;
  }
  return false;
}

function statInLayer(layerFd: number, path: string): Stats | undefined {
  let fd: number;
  try {
    fd = openInRoot(layerFd, path, O.PATH); // os.Stat in moby: the name is followed, inside the layer
  } catch {
    return undefined;
  }
  try {
    return fstatSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function containerChanges(id: string): Promise<Change[]> {
  const c = readConfig(id);
  const layers = [...c.Rootfs.lowerDirs].reverse().map((d) => openSync(d, O.PATH | O.DIRECTORY));
  const upper = openSync(c.Rootfs.upperDir, O.PATH | O.DIRECTORY);
  const changes: Change[] = [];
  const changedDirs = new Set<string>();
  const visit = (fd: number, path: string): void => {
    const st = fstatSync(fd);
    let kind: Change['kind'] | undefined;
    if ((st.isCharacterDevice() && st.rdev === 0) || (st.isDirectory() && isOpaque(fd))) kind = 'D';
    else {
      kind = 'A';
      for (const l of layers) {
        const old = statInLayer(l, path);
        if (!old) continue;
        if (old.isDirectory() && st.isDirectory() && old.size === st.size && old.mode === st.mode && Math.floor(old.mtimeMs / 1000) === Math.floor(st.mtimeMs / 1000)) {
          kind = undefined; // the same directory: only a parent of a change
        } else kind = 'C';
        break;
      }
    }
    if (kind) {
      if (st.isDirectory()) changedDirs.add(path);
      if (kind === 'A' || kind === 'D') {
        const parent = posix.dirname(path);
        if (parent !== '/' && !changedDirs.has(parent)) {
          changes.push({ kind: 'C', path: parent });
          changedDirs.add(parent);
        }
      }
      changes.push({ kind, path });
    }
    if (!st.isDirectory() || (st.isCharacterDevice() && st.rdev === 0)) return;
    const names = readdirSync(`/proc/self/fd/${fd}`).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const n of names) {
      let child: number;
      try {
        child = openChild(fd, n, O.PATH);
      } catch {
        continue; // gone meanwhile
      }
      try {
        visit(child, posix.join(path, n));
      } finally {
        closeSync(child);
      }
    }
  };
  try {
    const names = readdirSync(`/proc/self/fd/${upper}`).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const n of names) {
      const child = openChild(upper, n, O.PATH);
      try {
        visit(child, '/' + n);
      } finally {
        closeSync(child);
      }
    }
  } finally {
    for (const fd of [upper, ...layers]) closeSync(fd);
  }
  const kept = changes.filter((ch) => !isEnginePath(ch.path));
  // A directory listed only because skiff made a mount point in it (/etc for /etc/hosts) is no change either.
  return kept.filter((ch) => !(ch.kind === 'C' && ENGINE_PATHS.some((e) => e.startsWith(ch.path + '/')) && !kept.some((k) => k.path.startsWith(ch.path + '/'))));
}
