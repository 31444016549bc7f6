// The bridge every container's veth plugs into: skiff0 with 172.17.0.1/16, up — docker0's twin.
// Idempotent and safe against a second CLI doing the same at the same moment (EEXIST is fine).
import { writeFileSync } from 'node:fs';
import { addBridge, getLink, setUp } from '../kernel/netlink-links.js';
import { addAddress, listAddresses } from '../kernel/netlink-addresses.js';
import { withNetlink } from '../kernel/netlink-socket.js';
import { KernelError } from '../kernel/errno.js';
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';

export const BRIDGE = 'skiff0';

function ignoreExists(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof KernelError && e.errnoName === 'EEXIST')) throw e;
  }
}

/** Write a sysctl of the current thread's netns. */
export function sysctl(path: string, value: string, why: string): void {
  trace.step('kernel', `sysctl ${path.replace('/proc/sys/', '').replaceAll('/', '.')}=${value}`, why);
  try {
    writeFileSync(path, value);
  } catch (e) {
    throw new SkiffError('ENETWORK', `cannot set ${path} to ${value}: ${(e as Error).message}`, 'skiff needs to be root in its network namespace (rootless: inside its engine namespace)', { cause: e });
  }
}

/** Make sure the bridge exists, has the gateway address and is up; returns its ifindex. */
export function ensureBridge(name = BRIDGE, gateway = '172.17.0.1', prefixLen = 16): number {
  return withNetlink((nl) => {
    let link = getLink(nl, name);
    if (!link) {
      ignoreExists(() => addBridge(nl, name));
      link = getLink(nl, name);
      if (!link) throw new SkiffError('ENETWORK', `bridge ${name} vanished right after it was created`, 'another skiff may be removing it; try again');
    }
    if (!listAddresses(nl).some((a) => a.index === link!.index && a.address === gateway)) {
      ignoreExists(() => addAddress(nl, link!.index, gateway, prefixLen, `add gateway ${gateway}/${prefixLen} to ${name}`));
    }
    if (!link.up) setUp(nl, link.index, `set ${name} up`);
    sysctl('/proc/sys/net/ipv4/ip_forward', '1', 'containers route through this namespace');
    // Lets DNAT of 127.0.0.1:PORT (the output chain) send the packet out of the bridge, as docker0 does.
    sysctl(`/proc/sys/net/ipv4/conf/${name}/route_localnet`, '1', 'published ports answer on localhost');
    return link.index;
  });
}
