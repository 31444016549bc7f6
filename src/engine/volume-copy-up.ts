// Docker's copy-up: a volume that is still empty when a container starts gets what the container's
// image has at the mount's target — files, links, ownership and modes, and the owner and mode of the
// directory itself (so `-v data:/tmp` is 1777 as /tmp is) — unless the mount says nocopy. As moby does,
// it happens at every start while the volume is empty, never over content a volume already has.
// The image side is read through the container's own root (container-root.ts: openat2 RESOLVE_IN_ROOT,
// a symlink in the image can never reach the host); the volume side is written the same way below
// the volume's own directory.
import { closeSync, fstatSync, openSync, readdirSync } from 'node:fs';
import { O, fchmodFd, fchownFd, futimesFd } from '../kernel/fs-at.js';
import { KernelError } from '../kernel/errno.js';
import { trace } from '../trace.js';
import type { ContainerConfig } from '../state/container-record.js';
import { getVolume } from '../volumes/store.js';
import { localVolumeMount } from '../volumes/local-driver.js';
import { parseVolumeSpec } from '../volumes/spec.js';
import { withContainerRoot } from './container-root.js';
import { containerEntries, openContainerPath, writeEntries } from './container-files.js';

export interface VolumeCopy { target: string; mountpoint: string }

/** The named volumes of a container that take the image's content (every one, unless nocopy). */
export function volumeCopies(c: Pick<ContainerConfig, 'HostConfig'>): VolumeCopy[] {
  const out: VolumeCopy[] = [];
  const add = (name: string, target: string) => {
    const v = getVolume(name);
    if (!v) return;
    // A tmpfs volume is mounted inside the container only: there is no host directory to fill (docs/run-flags.md).
    const how = localVolumeMount(v.Options);
    if (how.kind !== 'tmpfs') out.push({ target, mountpoint: how.kind === 'bind' ? how.device : v.Mountpoint });
  };
  for (const b of c.HostConfig.Binds ?? []) {
    const s = parseVolumeSpec(b);
    if (s.named && !s.nocopy) add(s.source, s.target);
  }
  for (const m of c.HostConfig.Mounts ?? []) {
    if (m.Type === 'volume' && m.Source && !m.VolumeOptions?.NoCopy) add(m.Source, m.Target);
  }
  return out;
}

function isEmptyDir(path: string): boolean {
  try {
    return readdirSync(path).length === 0;
  } catch {
    return false;
  }
}

/** Copies the image's content into each volume that is empty; call before the container runs. */
export async function copyUpVolumes(id: string, copies: VolumeCopy[]): Promise<void> {
  const todo = copies.filter((c) => isEmptyDir(c.mountpoint));
  if (!todo.length) return;
  await withContainerRoot(id, 'read', async (root) => {
    for (const c of todo) {
      // The target as the container resolves it (a symlink in the image followed inside the image).
      const src = openContainerPath(root, c.target, true);
      if (src === undefined) continue;
      try {
        const st = fstatSync(src);
        if (!st.isDirectory()) continue;
        trace.step('fs', `copy ${c.target} of the image into ${c.mountpoint}`, 'Docker fills an empty volume with what the image has there');
        const dst = openSync(c.mountpoint, O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC);
        try {
          await writeEntries(dst, '/', containerEntries(src, ''), { noOverwriteDirNonDir: false });
          try {
            fchownFd(dst, st.uid, st.gid);
          } catch (e) {
            // An id the (rootless) engine does not map: the directory keeps the engine's ids.
            if (!(e instanceof KernelError && e.errnoName === 'EINVAL')) throw e;
          }
          fchmodFd(dst, st.mode & 0o7777);
          futimesFd(dst, Math.floor(st.mtimeMs / 1000));
        } finally {
          closeSync(dst);
        }
      } finally {
        closeSync(src);
      }
    }
  });
}
