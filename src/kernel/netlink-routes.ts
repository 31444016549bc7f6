// Route operations over rtnetlink: the container's default route via the bridge's gateway, and the
// policy routing that sends a marked packet to a local socket (rootless -p keeping the client's address).
import { attr, NLM_F, rtmsg, RTM } from './netlink-message.js';
import type { NetlinkSocket } from './netlink-socket.js';

const AF_INET = 2;
const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3; // what `ip route add` marks its routes with
const RT_SCOPE_UNIVERSE = 0;
const RTN_UNICAST = 1;
const RTA = { DST: 1, OIF: 4, GATEWAY: 5 } as const;

/** `ip route add default via <gateway> dev <index>` */
export function addDefaultRoute(nl: NetlinkSocket, gateway: string, index: number): void {
  nl.request(RTM.NEWROUTE, NLM_F.CREATE | NLM_F.EXCL | NLM_F.ACK,
    rtmsg({ family: AF_INET, dstLen: 0, table: RT_TABLE_MAIN, protocol: RTPROT_BOOT, scope: RT_SCOPE_UNIVERSE, type: RTN_UNICAST }),
    [attr.ipv4(RTA.GATEWAY, gateway), attr.u32(RTA.OIF, index)],
    `add default route via ${gateway} dev ${index}`);
}

const RTN_LOCAL = 2;
const RT_SCOPE_HOST = 254;
const LOOPBACK_INDEX = 1; // lo is ifindex 1 in every network namespace
const FR_ACT_TO_TBL = 1;
const FRA = { PRIORITY: 6, FWMARK: 10, TABLE: 15, FWMASK: 16 } as const;

/** `ip route add local 0.0.0.0/0 dev lo table <table>`: everything routed by that table is delivered here. */
export function addLocalDefaultRoute(nl: NetlinkSocket, table: number): void {
  nl.request(RTM.NEWROUTE, NLM_F.CREATE | NLM_F.EXCL | NLM_F.ACK,
    rtmsg({ family: AF_INET, dstLen: 0, table, protocol: RTPROT_BOOT, scope: RT_SCOPE_HOST, type: RTN_LOCAL }),
    [attr.u32(RTA.OIF, LOOPBACK_INDEX)],
    `add local default route to lo in table ${table}`);
}

/** `ip rule add priority <priority> fwmark <mark> lookup <table>` (struct fib_rule_hdr has rtmsg's layout). */
export function addFwmarkRule(nl: NetlinkSocket, mark: number, table: number, priority: number): void {
  nl.request(RTM.NEWRULE, NLM_F.CREATE | NLM_F.EXCL | NLM_F.ACK,
    rtmsg({ family: AF_INET, dstLen: 0, table, protocol: 0, scope: 0, type: FR_ACT_TO_TBL }),
    [attr.u32(FRA.PRIORITY, priority), attr.u32(FRA.FWMARK, mark), attr.u32(FRA.FWMASK, 0xffffffff), attr.u32(FRA.TABLE, table)],
    `add rule fwmark ${mark} lookup ${table}`);
}
