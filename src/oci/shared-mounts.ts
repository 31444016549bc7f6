// A container without a mount namespace gets its mounts (config.json's, masked and read-only paths)
// in the caller's namespace, beneath the bundle's root, as runc and crun make them. Unlike theirs,
// skiff-oci's are taken away again: the ones that were not there before `create` are recorded and
// detached by `delete` (and by a create that fails), so no /proc, /sys or bound host directory stays
// beneath a bundle that its owner is about to remove with `rm -rf`.
import { detachMount, mountsBeneath, type MountEntry } from '../kernel/mount-table.js';
import { trace } from '../trace.js';

export type { MountEntry };

/** The mounts beneath `root` now. */
export function mountsAt(root: string): MountEntry[] {
  return mountsBeneath(root);
}

/** The mounts beneath `root` that are not in `before` (same id and mount point). */
export function mountsSince(root: string, before: MountEntry[]): MountEntry[] {
  const seen = new Set(before.map((m) => `${m.id} ${m.mountPoint}`));
  return mountsBeneath(root).filter((m) => !seen.has(`${m.id} ${m.mountPoint}`));
}

/**
 * Detaches the recorded mounts that are still the top mount at their mount point, the last made
 * first. Errors are reported, not thrown: delete goes on with the rest.
 */
export function detachMounts(made: MountEntry[] | undefined, root: string): void {
  if (!made?.length) return;
  for (const m of [...made].reverse()) {
    // Read again each time: once a mount is detached, its path may name the one beneath (the bundle's
    // own rootfs mount, say), which is not ours to take away.
    const top = mountsBeneath(root).filter((x) => x.mountPoint === m.mountPoint).pop();
    if (!top || top.id !== m.id) continue;
    try {
      detachMount(m.mountPoint);
      trace.kernel(`umount2 ${m.mountPoint} MNT_DETACH`, 'a mount the container made in the caller\'s namespace');
    } catch { /* already gone with its parent (MNT_DETACH takes the subtree) */ }
  }
}
