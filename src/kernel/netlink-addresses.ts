// IPv4 address operations over rtnetlink (RTM_NEWADDR / RTM_GETADDR). Addresses go away with their link.
import { attr, decodeAttrs, ifaddrmsg, NLM_F, RTM } from './netlink-message.js';
import type { NetlinkSocket } from './netlink-socket.js';

const AF_INET = 2;
const IFA = { ADDRESS: 1, LOCAL: 2, BROADCAST: 4 } as const;

export interface AddrInfo { index: number; address: string; prefixLen: number }

function broadcastOf(ip: string, prefixLen: number): string {
  const n = ip.split('.').reduce((acc, p) => (acc << 8) | Number(p), 0) >>> 0;
  const host = prefixLen === 32 ? 0 : (0xffffffff >>> prefixLen);
  const b = (n | host) >>> 0;
  return [24, 16, 8, 0].map((s) => (b >>> s) & 255).join('.');
}

/** Add `ip/prefixLen` with its broadcast address (what `ip addr add … brd +` does). */
export function addAddress(nl: NetlinkSocket, index: number, ip: string, prefixLen: number, what = `add address ${ip}/${prefixLen} to link ${index}`): void {
  nl.request(RTM.NEWADDR, NLM_F.CREATE | NLM_F.EXCL | NLM_F.ACK, ifaddrmsg({ family: AF_INET, prefixLen, index }), [
    attr.ipv4(IFA.LOCAL, ip),
    attr.ipv4(IFA.ADDRESS, ip),
    attr.ipv4(IFA.BROADCAST, broadcastOf(ip, prefixLen)),
  ], what);
}

export function listAddresses(nl: NetlinkSocket): AddrInfo[] {
  return nl
    .request(RTM.GETADDR, NLM_F.DUMP, ifaddrmsg({ family: AF_INET, prefixLen: 0, index: 0 }), [], 'list addresses')
    .filter((m) => m.type === RTM.NEWADDR)
    .map((m) => {
      const a = decodeAttrs(m.payload.subarray(8));
      const raw = a.get(IFA.LOCAL) ?? a.get(IFA.ADDRESS);
      return { index: m.payload.readUInt32LE(4), prefixLen: m.payload.readUInt8(1), address: raw ? [...raw].join('.') : '' };
    });
}

export { broadcastOf };
