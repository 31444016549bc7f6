// overlayfs stacks image layers; `userxattr` (5.11+) lets a user namespace mount it with the same
// on-disk whiteout format as root (see docs/facts.md "Overlay and whiteouts").
import type { Check } from '../types.js';
import { atLeast } from '../version-compare.js';

export const overlayCheck: Check = {
  id: 'overlay',
  title: 'overlayfs',
  neededFor: ['rootful', 'rootless'],
  run(probe) {
    const fs = probe.readFile('/proc/filesystems') ?? '';
    const loaded = fs.split('\n').some((l) => l.trim().split(/\s+/).pop() === 'overlay');
    const release = probe.kernelRelease();
    if (!loaded) {
      const module = probe.exists(`/lib/modules/${release}/kernel/fs/overlayfs`);
      return {
        status: 'fail',
        detail: module ? 'overlay module not loaded' : 'overlay not in /proc/filesystems',
        fix: module ? "sudo modprobe overlay (persist: echo overlay | sudo tee /etc/modules-load.d/overlay.conf)" : 'boot a kernel with CONFIG_OVERLAY_FS',
      };
    }
    if (!atLeast(release, 5, 11)) {
      return { status: 'warn', detail: 'available, but no userxattr before kernel 5.11', fix: 'boot a kernel ≥ 5.11 for rootless overlay' };
    }
    return { status: 'ok', detail: 'available, userxattr supported' };
  },
};
