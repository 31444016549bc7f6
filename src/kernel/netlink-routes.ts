// Route operations over rtnetlink: the container's default route via the bridge's gateway.
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
