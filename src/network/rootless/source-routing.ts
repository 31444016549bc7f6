// Keeping a published-port client's address (rootless, TCP). skiff-portfwd connects to the container
// from a transparent socket (IP_TRANSPARENT, made inside the engine's netns) bound to the client's own
// address and marked SOCKET_MARK. The container answers that foreign address through the engine,
// whose default route would send it out through slirp4netns; these rules, in the engine's netns, send
// the answers to such connections back to the local socket instead:
//   table ip skiff-portfwd
//     output     (filter, mangle)  meta mark SOCKET_MARK ct mark set REPLY_MARK
//     prerouting (filter, mangle)  ct mark REPLY_MARK meta mark set REPLY_MARK
//   ip rule priority RULE_PRIORITY fwmark REPLY_MARK lookup ROUTE_TABLE
//   ip route add local 0.0.0.0/0 dev lo table ROUTE_TABLE
// Two marks, not one: the socket's own mark also steers the route lookup of what it sends, which must
// stay the main table (to the container). Loopback clients are not kept (their address means nothing
// inside the engine): docs/networking.md.
import { nft } from '../../kernel/nftables.js';
import { withNetlink } from '../../kernel/netlink-socket.js';
import { addFwmarkRule, addLocalDefaultRoute } from '../../kernel/netlink-routes.js';
import { KernelError } from '../../kernel/errno.js';

/** The SO_MARK skiff-portfwd gives sockets that keep a client's address (its --mark). */
export const SOCKET_MARK = 0x736b01;
const REPLY_MARK = 0x736b02;
const ROUTE_TABLE = 115;
const RULE_PRIORITY = 100;
const TABLE = 'skiff-portfwd';

function ignoreExists(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof KernelError && e.errnoName === 'EEXIST')) throw e;
  }
}

const markOf = (key: 'meta' | 'ct') => (key === 'meta' ? { meta: { key: 'mark' } } : { ct: { key: 'mark' } });

/** Idempotent (one atomic nft batch, EEXIST ignored): called before a rootless container's TCP ports are published. */
export function ensureSourceRouting(): void {
  const t = { family: 'ip', table: TABLE };
  const chain = (name: string, hook: string) => ({ add: { chain: { ...t, name, type: 'filter', hook, prio: -150, policy: 'accept' } } });
  nft([
    { add: { table: { family: 'ip', name: TABLE } } },
    chain('output', 'output'),
    chain('prerouting', 'prerouting'),
    { flush: { chain: { ...t, name: 'output' } } },
    { flush: { chain: { ...t, name: 'prerouting' } } },
    { add: { rule: { ...t, chain: 'output', expr: [
      { match: { op: '==', left: markOf('meta'), right: SOCKET_MARK } },
      { mangle: { key: markOf('ct'), value: REPLY_MARK } },
    ] } } },
    { add: { rule: { ...t, chain: 'prerouting', expr: [
      { match: { op: '==', left: markOf('ct'), right: REPLY_MARK } },
      { mangle: { key: markOf('meta'), value: REPLY_MARK } },
    ] } } },
  ], 'route answers to published-port connections that keep the client address back to skiff-portfwd');
  withNetlink((nl) => {
    ignoreExists(() => addLocalDefaultRoute(nl, ROUTE_TABLE));
    ignoreExists(() => addFwmarkRule(nl, REPLY_MARK, ROUTE_TABLE, RULE_PRIORITY));
  });
}
