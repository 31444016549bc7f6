import { describe, expect, it } from 'vitest';
import { buildMessage, decodeAttrs, encodeAttrs, attr, NLA_F_NESTED, parseMessages, errorCode, ifinfomsg } from '../../src/kernel/netlink-message.js';
import { addBridge, addVethPair, setMaster, setUp } from '../../src/kernel/netlink-links.js';
import { addAddress, broadcastOf } from '../../src/kernel/netlink-addresses.js';
import { addDefaultRoute } from '../../src/kernel/netlink-routes.js';
import type { NetlinkSocket } from '../../src/kernel/netlink-socket.js';

/** A socket that records the bytes it would send (seq fixed at 1). */
function recorder(): { nl: NetlinkSocket; sent: Buffer[] } {
  const sent: Buffer[] = [];
  const nl = {
    request(type: number, flags: number, fixed: Buffer, attrs: Parameters<typeof buildMessage>[4]) {
      sent.push(buildMessage(type, flags | 1, 1, fixed, attrs));
      return [];
    },
  } as unknown as NetlinkSocket;
  return { nl, sent };
}

describe('netlink message encoding', () => {
  it('encodes `ip link add skiff0 type bridge` byte for byte', () => {
    const { nl, sent } = recorder();
    addBridge(nl, 'skiff0');
    const expected = [
      '3c000000', '1000', '0506', '01000000', '00000000', // nlmsghdr: len 60, RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE
      '0000', '0000', '00000000', '00000000', '00000000', // ifinfomsg
      '0b00', '0300', '736b6966663000', '00', // IFLA_IFNAME "skiff0\0" + 1 pad byte
      '1000', '1280', // IFLA_LINKINFO | NLA_F_NESTED, len 16
      '0b00', '0100', '62726964676500', '00', // IFLA_INFO_KIND "bridge\0" + pad
    ].join('');
    expect(sent[0]!.toString('hex')).toBe(expected);
  });

  it('pads attributes to 4 bytes but does not count the padding in rta_len', () => {
    const b = encodeAttrs([attr.bytes(7, Buffer.from([1, 2, 3, 4, 5]))]);
    expect(b.length).toBe(12);
    expect(b.readUInt16LE(0)).toBe(9);
    expect(decodeAttrs(b).get(7)).toEqual(Buffer.from([1, 2, 3, 4, 5]));
  });

  it('nests the veth peer as ifinfomsg + attributes with NLA_F_NESTED at every level', () => {
    const { nl, sent } = recorder();
    addVethPair(nl, 'vethabc1234', { name: 'eth0', netnsFd: 42, mac: '02:42:ac:11:00:02' });
    const msg = parseMessages(sent[0]!)[0]!;
    const top = encodedTypes(msg.payload.subarray(16));
    expect(top.get(18)! & NLA_F_NESTED).toBeTruthy(); // IFLA_LINKINFO
    const linkinfo = decodeAttrs(decodeAttrs(msg.payload.subarray(16)).get(18)!);
    expect(linkinfo.get(1)!.toString()).toBe('veth\0');
    const dataRaw = decodeAttrs(msg.payload.subarray(16)).get(18)!;
    expect(encodedTypes(dataRaw).get(2)! & NLA_F_NESTED).toBeTruthy(); // IFLA_INFO_DATA
    const data = linkinfo.get(2)!;
    expect(encodedTypes(data).get(1)! & NLA_F_NESTED).toBeTruthy(); // VETH_INFO_PEER
    const peer = decodeAttrs(data).get(1)!;
    expect(peer.subarray(0, 16)).toEqual(ifinfomsg());
    const peerAttrs = decodeAttrs(peer.subarray(16));
    expect(peerAttrs.get(3)!.toString()).toBe('eth0\0');
    expect(peerAttrs.get(28)!.readUInt32LE(0)).toBe(42); // IFLA_NET_NS_FD
    expect(peerAttrs.get(1)!.toString('hex')).toBe('0242ac110002');
  });

  it('sets master, up, address and default route with the right fixed headers', () => {
    const { nl, sent } = recorder();
    setMaster(nl, 5, 3);
    setUp(nl, 5);
    addAddress(nl, 7, '172.17.0.2', 16);
    addDefaultRoute(nl, '172.17.0.1', 7);
    const [m, up, a, r] = sent.map((b) => parseMessages(b)[0]!);
    expect(m!.payload.readInt32LE(4)).toBe(5);
    expect(decodeAttrs(m!.payload.subarray(16)).get(10)!.readUInt32LE(0)).toBe(3);
    expect(up!.payload.readUInt32LE(8)).toBe(1); // flags IFF_UP
    expect(up!.payload.readUInt32LE(12)).toBe(1); // change IFF_UP
    expect(a!.type).toBe(20);
    expect([...a!.payload.subarray(0, 8)]).toEqual([2, 16, 0, 0, 7, 0, 0, 0]);
    const aa = decodeAttrs(a!.payload.subarray(8));
    expect([...aa.get(2)!]).toEqual([172, 17, 0, 2]);
    expect([...aa.get(4)!]).toEqual([172, 17, 255, 255]);
    expect(r!.type).toBe(24);
    expect([...r!.payload.subarray(0, 8)]).toEqual([2, 0, 0, 0, 254, 3, 0, 1]);
    expect([...decodeAttrs(r!.payload.subarray(12)).get(5)!]).toEqual([172, 17, 0, 1]);
  });

  it('reads an NLMSG_ERROR reply as errno', () => {
    const payload = Buffer.alloc(20);
    payload.writeInt32LE(-17, 0);
    const msg = buildMessage(2, 0, 9, payload);
    const [m] = parseMessages(msg);
    expect(m!.seq).toBe(9);
    expect(errorCode(m!)).toBe(17);
  });

  it('computes broadcast addresses', () => {
    expect(broadcastOf('172.17.0.5', 16)).toBe('172.17.255.255');
    expect(broadcastOf('10.0.0.1', 24)).toBe('10.0.0.255');
    expect(broadcastOf('10.0.0.1', 32)).toBe('10.0.0.1');
  });
});

function encodedTypes(buf: Buffer): Map<number, number> {
  const out = new Map<number, number>();
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    const raw = buf.readUInt16LE(off + 2);
    out.set(raw & 0x3fff, raw);
    off += (len + 3) & ~3;
  }
  return out;
}
