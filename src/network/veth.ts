// A container's link: a veth pair with the host end `veth<7hex>` on the bridge and the other end
// born inside the container's netns as `eth0` (the host end plugged in and up by the creating request),
// with its address, the default route via the bridge's gateway, and `lo` up. The container-side work uses a netlink socket opened inside that netns
// (setns → socket → setns back, docs/facts.md), so Node's threads never stay there.
import { closeSync, openSync } from 'node:fs';
import { addVethPair, deleteLinkIfExists, getLink, setUp } from '../kernel/netlink-links.js';
import { KernelError } from '../kernel/errno.js';
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

/** The loopback device is ifindex 1 in every network namespace (the kernel registers it first). */
const LOOPBACK_INDEX = 1;

export function connectVeth(r: VethRequest): void {
  const host = hostVethName(r.id);
  const nsFd = openSync(r.netnsPath, 'r');
  try {
    withNetlink((nl) => {
      const pair = () => addVethPair(nl, host, { name: 'eth0', netnsFd: nsFd, mac: r.mac ?? macForIp(r.ip) }, { mtu: r.mtu, master: r.bridgeIndex });
      try {
        pair();
      } catch (e) {
        // The link of this container's previous run: its namespace is gone, and the kernel removes such
        // a pair by itself, but may not have got to it yet (the exit path leaves it to the kernel).
        if (!(e instanceof KernelError && e.errnoName === 'EEXIST')) throw e;
        deleteLinkIfExists(nl, host);
        pair();
      }
      try {
        withNetlink((inner) => {
          setUp(inner, LOOPBACK_INDEX, 'set lo up in the container');
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
