// A container's link: a veth pair with the host end `veth<7hex>` on the bridge and the other end
// born inside the container's netns as `eth0`, with its address, the default route via the bridge's
// gateway, and `lo` up. The container-side work uses a netlink socket opened inside that netns
// (setns → socket → setns back, docs/facts.md), so Node's threads never stay there.
import { closeSync, openSync } from 'node:fs';
import { addVethPair, deleteLinkIfExists, getLink, setMaster, setUp } from '../kernel/netlink-links.js';
import { addAddress } from '../kernel/netlink-addresses.js';
import { addDefaultRoute } from '../kernel/netlink-routes.js';
import { withNetlink } from '../kernel/netlink-socket.js';
import { SkiffError } from '../errors.js';

export function hostVethName(id: string): string {
  return `veth${id.slice(0, 7)}`;
}

/** Docker's scheme: 02:42 followed by the IPv4 address, so a MAC says which container it is. */
export function macForIp(ip: string): string {
  return ['02', '42', ...ip.split('.').map((p) => Number(p).toString(16).padStart(2, '0'))].join(':');
}

export interface VethRequest {
  id: string;
  netnsPath: string;
  bridgeIndex: number;
  ip: string;
  prefixLen: number;
  gateway: string;
  mac?: string;
  mtu?: number;
}

export function connectVeth(r: VethRequest): void {
  const host = hostVethName(r.id);
  const nsFd = openSync(r.netnsPath, 'r');
  try {
    withNetlink((nl) => {
      addVethPair(nl, host, { name: 'eth0', netnsFd: nsFd, mac: r.mac ?? macForIp(r.ip) }, { mtu: r.mtu });
      try {
        const link = getLink(nl, host);
        if (!link) throw new SkiffError('ENETWORK', `veth ${host} vanished after creation`, 'try again');
        setMaster(nl, link.index, r.bridgeIndex, `attach ${host} to the bridge`);
        setUp(nl, link.index, `set ${host} up`);
        withNetlink((inner) => {
          const lo = getLink(inner, 'lo');
          if (lo) setUp(inner, lo.index, 'set lo up in the container');
          const eth0 = getLink(inner, 'eth0');
          if (!eth0) throw new SkiffError('ENETWORK', 'eth0 did not appear in the container namespace', 'try again; --trace shows the netlink requests');
          addAddress(inner, eth0.index, r.ip, r.prefixLen, `add ${r.ip}/${r.prefixLen} to the container's eth0`);
          setUp(inner, eth0.index, "set the container's eth0 up");
          addDefaultRoute(inner, r.gateway, eth0.index);
        }, r.netnsPath);
      } catch (e) {
        deleteLinkIfExists(nl, host); // takes the peer with it
        throw e;
      }
    });
  } finally {
    closeSync(nsFd);
  }
}

/** Remove the host end (the peer goes with it); false when it was already gone. */
export function disconnectVeth(id: string): boolean {
  return withNetlink((nl) => deleteLinkIfExists(nl, hostVethName(id)));
}
