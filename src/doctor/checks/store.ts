// The store (images, layers, containers) must be writable, and pulls need room: the chapter's images
// are small, but a Debian-based image unpacked is a few hundred MB.
import { dirname } from 'node:path';
import type { Check, Probe } from '../types.js';

const MiB = 1024 * 1024;
const FAIL_BELOW = 256 * MiB;
const WARN_BELOW = 2048 * MiB;

/** The store itself if it exists, else the nearest ancestor that does (where it would be created). */
function existingAncestor(probe: Probe, dir: string): string {
  let d = dir;
  while (!probe.exists(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

export const storeCheck: Check = {
  id: 'store',
  title: 'store directory',
  neededFor: ['rootful', 'rootless'],
  run(probe) {
    const dir = probe.storeDir();
    const at = existingAncestor(probe, dir);
    if (!probe.writable(at)) {
      return { status: 'fail', detail: `${at} is not writable`, fix: `make it writable for you, or point SKIFF_ROOT at a writable directory` };
    }
    const free = probe.freeBytes(at);
    if (free === undefined) return { status: 'warn', detail: `${dir} (free space unknown)` };
    const shown = free >= 1024 * MiB ? `${(free / 1024 / MiB).toFixed(1)} GiB free` : `${Math.round(free / MiB)} MiB free`;
    if (free < FAIL_BELOW) return { status: 'fail', detail: `${dir}: only ${shown}`, fix: 'free disk space (skiff rm / skiff rmi unused images), or set SKIFF_ROOT on a larger disk' };
    if (free < WARN_BELOW) return { status: 'warn', detail: `${dir}: ${shown}`, fix: 'free some disk space before pulling larger images' };
    return { status: 'ok', detail: `${dir}, ${shown}` };
  },
};
