// NAT and published ports are nftables rules, made through libnftables (the library behind `nft`).
import type { Check } from '../types.js';

const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib64', '/lib64', '/usr/lib', '/lib'];

export const nftablesCheck: Check = {
  id: 'nftables',
  title: 'nftables (NAT, -p)',
  neededFor: ['rootful'],
  run(probe) {
    const lib = LIB_DIRS.map((d) => `${d}/libnftables.so.1`).find((p) => probe.exists(p));
    if (!lib) return { status: 'fail', detail: 'libnftables.so.1 not found', fix: 'sudo apt-get install nftables (libnftables1)' };
    return { status: 'ok', detail: lib };
  },
};
