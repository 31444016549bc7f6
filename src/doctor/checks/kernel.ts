// Kernel version: overlay's `userxattr` (rootless overlay with 0/0 whiteouts) arrived in 5.11;
// below 4.18 there is no overlay inside a user namespace at all.
import type { Check } from '../types.js';
import { atLeast } from '../version-compare.js';

export const kernelCheck: Check = {
  id: 'kernel',
  title: 'kernel version',
  neededFor: ['rootful', 'rootless'],
  run(probe) {
    const release = probe.kernelRelease();
    if (atLeast(release, 5, 11)) return { status: 'ok', detail: release };
    if (atLeast(release, 4, 18)) {
      return { status: 'warn', detail: `${release} (< 5.11: no overlay userxattr, rootless images with whiteouts may break)`, fix: 'boot a kernel ≥ 5.11 (Debian 12 ships 6.1)' };
    }
    return { status: 'fail', detail: `${release} (< 4.18)`, fix: 'boot a kernel ≥ 5.11 (Debian 12 ships 6.1)' };
  },
};
