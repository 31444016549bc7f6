// Name resolution on a user-defined network, without a DNS server: every container's /etc/hosts
// lists the others on its network (name and hostname). The host-side files are bind-mounted into the
// containers, so they are rewritten in place (same inode) — a rename would leave the container
// looking at the old file.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Allocation } from './ipam.js';
import { hostsContent } from './etc-files.js';

export function peerHostsFiles(allocs: Record<string, Allocation>, filesDir: (id: string) => string): void {
  for (const [id, me] of Object.entries(allocs)) {
    const path = join(filesDir(id), 'hosts');
    if (!existsSync(path)) continue;
    const peers = Object.entries(allocs)
      .filter(([other]) => other !== id)
      .map(([other, a]) => ({ ip: a.ip, names: [...new Set([a.name, a.hostname ?? other.slice(0, 12), ...(a.aliases ?? [])].filter((n): n is string => !!n))] }));
    writeFileSync(path, hostsContent(me.hostname ?? id.slice(0, 12), me.ip, [...(me.extraHosts ?? []), ...peers]));
  }
}
