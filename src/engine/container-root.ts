// A directory fd that *is* a container's "/", for the filesystem verbs (cp, export, commit, diff). Every
// path inside is then resolved from it with openat2(RESOLVE_IN_ROOT) (src/kernel/fs-at.ts), so an
// `/evil -> /` or `../../../etc` symlink in the container leads to the container's own root, never the host's.
//   running container, cp: /proc/<pid>/root — its own mount tree, volumes and binds included, as Docker's cp sees it;
//   stopped container, cp into it: its overlay (image layers + upper dir), mounted detached (fsmount): in no
//     namespace, gone when the fd closes — so nothing is left mounted if skiff dies half-way;
//   export and reading a stopped container: the same overlay read-only, with the upper dir as its top lower
//     layer (no workdir, so it never competes with the running container's own mount).
// Rootless, this runs inside the engine namespace like every verb: the overlay is mountable there and the
// container's ids are the engine's ids (an identity map), so ownership needs no translation.
import { closeSync, openSync } from 'node:fs';
import { detachedOverlay, O } from '../kernel/fs-at.js';
import { isProcessAlive } from '../kernel/process-identity.js';
import { readConfig, withContainerLock } from '../state/containers.js';
import { refreshState } from '../state/liveness.js';
import { trace } from '../trace.js';

export type RootUse = 'read' | 'write' | 'export';

/** Runs `fn` with the container's root fd; the fd (and a detached mount) is released afterwards. */
export async function withContainerRoot<R>(id: string, use: RootUse, fn: (rootFd: number) => Promise<R>): Promise<R> {
  const s = await refreshState(id);
  if (use !== 'export' && s.Running && s.Pid > 0) {
    const fd = openSync(`/proc/${s.Pid}/root`, O.PATH | O.DIRECTORY | O.CLOEXEC);
    try {
      // The pid could have been reused between the state read and the open: the same start time proves it is the container's.
      if (!isProcessAlive(s.Pid, s.PidStart)) throw new Error('container exited');
      trace.step('fs', `open /proc/${s.Pid}/root`, 'the running container\'s own root, with its volumes');
      return await fn(fd);
    } finally {
      closeSync(fd);
    }
  }
  const c = readConfig(id);
  const lowers = [...c.Rootfs.lowerDirs].reverse();
  if (use === 'write') {
    // A stopped container's writable layer: under its lock, so a `start` waits until the copy is done.
    return withContainerLock(id, async () => {
      trace.step('fs', `fsmount overlay of ${id.slice(0, 12)} (detached)`, 'the stopped container\'s filesystem, mounted nowhere, writable');
      const fd = detachedOverlay(lowers, c.Rootfs.upperDir, c.Rootfs.workDir);
      try {
        return await fn(fd);
      } finally {
        closeSync(fd);
      }
    });
  }
  trace.step('fs', `fsmount overlay of ${id.slice(0, 12)} (detached, read-only)`, 'the container\'s filesystem without its mounts, as export and commit see it');
  const fd = detachedOverlay([c.Rootfs.upperDir, ...lowers], '', '');
  try {
    return await fn(fd);
  } finally {
    closeSync(fd);
  }
}
