import type { Check } from '../types.js';
import { atLeast } from '../version-compare.js';

export const nodeVersionCheck: Check = {
  id: 'node',
  title: 'Node.js ≥ 20',
  neededFor: ['rootful', 'rootless'],
  run(probe) {
    const v = probe.nodeVersion();
    if (atLeast(v, 20)) return { status: 'ok', detail: `v${v.replace(/^v/, '')}` };
    return { status: 'fail', detail: `v${v.replace(/^v/, '')}`, fix: 'install Node.js 20 or newer (https://nodejs.org, or Debian: apt-get install nodejs from NodeSource)' };
  },
};
