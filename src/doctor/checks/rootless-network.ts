// Rootless containers reach the outside, and published ports reach them, through a user-mode
// network stack: pasta (package passt) or slirp4netns.
import type { Check } from '../types.js';

export const rootlessNetworkCheck: Check = {
  id: 'rootless-net',
  title: 'pasta / slirp4netns',
  neededFor: ['rootless'],
  run(probe) {
    const found = ['pasta', 'slirp4netns'].map((c) => probe.which(c)).filter((p): p is string => !!p);
    if (found.length === 0) return { status: 'fail', detail: 'neither pasta nor slirp4netns found', fix: 'sudo apt-get install passt slirp4netns' };
    return { status: 'ok', detail: found.join(', ') };
  },
};
