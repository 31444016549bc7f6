// Link operations over rtnetlink: bridge, veth pair, master, up, rename, move to a netns, delete, get.
import { closeSync, openSync } from 'node:fs';
import { attr, decodeAttrs, encodeAttrs, ifinfomsg, NLM_F, RTM, type Attr } from './netlink-message.js';
import type { NetlinkSocket } from './netlink-socket.js';
import { KernelError } from './errno.js';

const IFLA = { ADDRESS: 1, IFNAME: 3, MTU: 4, MASTER: 10, LINKINFO: 18, NET_NS_FD: 28 } as const;
const IFLA_INFO = { KIND: 1, DATA: 2 } as const;
const VETH_INFO_PEER = 1;
const IFF_UP = 0x1;
const CREATE = NLM_F.CREATE | NLM_F.EXCL | NLM_F.ACK;

export interface LinkInfo { index: number; name: string; flags: number; up: boolean; master?: number; mac?: string; kind?: string }

export function macBytes(mac: string): Buffer {
  const b = Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
  if (b.length !== 6) throw new Error(`not a MAC address: ${mac}`);
  return b;
}

export function addBridge(nl: NetlinkSocket, name: string): void {
  nl.request(RTM.NEWLINK, CREATE, ifinfomsg(), [
    attr.str(IFLA.IFNAME, name),
    attr.nested(IFLA.LINKINFO, [attr.str(IFLA_INFO.KIND, 'bridge')]),
  ], `add bridge ${name}`);
}

export interface VethPeer {
  name: string;
  /** Create the peer directly inside this netns (an open fd on /proc/<pid>/ns/net). */
  netnsFd?: number;
  mac?: string;
}

export interface VethOptions {
  /** Both ends' MTU (the rootless engine uses slirp4netns's 65520: per-packet cost dominates there). */
  mtu?: number;
  /** Plug the host end into this bridge (ifindex) and bring it up, in the same request. */
  master?: number;
}

/**
 * A veth pair `name` <-> `peer.name`. With `peer.netnsFd` the peer is born inside the container's
 * namespace, so a crash can never strand it in the engine's namespace under a colliding name.
 */
export function addVethPair(nl: NetlinkSocket, name: string, peer: VethPeer, opts: VethOptions = {}): void {
  const peerAttrs: Attr[] = [attr.str(IFLA.IFNAME, peer.name)];
  if (opts.mtu) peerAttrs.push(attr.u32(IFLA.MTU, opts.mtu));
  if (peer.netnsFd !== undefined) peerAttrs.push(attr.u32(IFLA.NET_NS_FD, peer.netnsFd));
  if (peer.mac) peerAttrs.push(attr.bytes(IFLA.ADDRESS, macBytes(peer.mac)));
  // VETH_INFO_PEER's payload is a struct ifinfomsg followed by the peer's own attributes.
  // With a master the host end is born plugged in and up (ifi_flags/ifi_change): one request instead of
  // four. Not the peer: the kernel configures it before the pair is linked, and veth_open says ENOTCONN.
  const up = opts.master !== undefined ? { flags: IFF_UP, change: IFF_UP } : {};
  const peerInfo: Attr = { type: VETH_INFO_PEER, data: Buffer.concat([ifinfomsg(), encodeAttrs(peerAttrs)]), rawNested: true };
  nl.request(RTM.NEWLINK, CREATE, ifinfomsg(up), [
    attr.str(IFLA.IFNAME, name),
    ...(opts.mtu ? [attr.u32(IFLA.MTU, opts.mtu)] : []),
    ...(opts.master !== undefined ? [attr.u32(IFLA.MASTER, opts.master)] : []),
    attr.nested(IFLA.LINKINFO, [attr.str(IFLA_INFO.KIND, 'veth'), attr.nested(IFLA_INFO.DATA, [peerInfo])]),
  ], `add veth pair ${name} <-> ${peer.name}`);
}

function byIndex(index: number, attrs: Attr[], nl: NetlinkSocket, what: string, flags = 0, change = 0): void {
  nl.request(RTM.NEWLINK, NLM_F.ACK, ifinfomsg({ index, flags, change }), attrs, what);
}

export function setMaster(nl: NetlinkSocket, index: number, masterIndex: number, what = `set master of link ${index}`): void {
  byIndex(index, [attr.u32(IFLA.MASTER, masterIndex)], nl, what);
}

export function setUp(nl: NetlinkSocket, index: number, what = `set link ${index} up`): void {
  byIndex(index, [], nl, what, IFF_UP, IFF_UP);
}

/** Rename (the link must be down). */
export function renameLink(nl: NetlinkSocket, index: number, newName: string): void {
  byIndex(index, [attr.str(IFLA.IFNAME, newName)], nl, `rename link ${index} to ${newName}`);
}

/** Move a link into the netns at `netnsPath` (opened here, closed after). */
export function moveToNetns(nl: NetlinkSocket, index: number, netnsPath: string): void {
  const fd = openSync(netnsPath, 'r');
  try {
    byIndex(index, [attr.u32(IFLA.NET_NS_FD, fd)], nl, `move link ${index} to ${netnsPath}`);
  } finally {
    closeSync(fd);
  }
}

export function deleteLink(nl: NetlinkSocket, name: string): void {
  nl.request(RTM.DELLINK, NLM_F.ACK, ifinfomsg(), [attr.str(IFLA.IFNAME, name)], `delete link ${name}`);
}

/** Delete if present; true when something was deleted. */
export function deleteLinkIfExists(nl: NetlinkSocket, name: string): boolean {
  try {
    deleteLink(nl, name);
    return true;
  } catch (e) {
    if (e instanceof KernelError && (e.errnoName === 'ENODEV' || e.errnoName === 'ENOENT')) return false;
    throw e;
  }
}

function parseLink(payload: Buffer): LinkInfo {
  const index = payload.readInt32LE(4);
  const flags = payload.readUInt32LE(8);
  const a = decodeAttrs(payload.subarray(16));
  const name = a.get(IFLA.IFNAME)?.toString('utf8').replace(/\0.*$/, '') ?? '';
  const info: LinkInfo = { index, name, flags, up: (flags & IFF_UP) !== 0 };
  const master = a.get(IFLA.MASTER);
  if (master) info.master = master.readUInt32LE(0);
  const mac = a.get(IFLA.ADDRESS);
  if (mac && mac.length === 6) info.mac = [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
  const li = a.get(IFLA.LINKINFO);
  if (li) {
    const kind = decodeAttrs(li).get(IFLA_INFO.KIND);
    if (kind) info.kind = kind.toString('utf8').replace(/\0.*$/, '');
  }
  return info;
}

/** The link called `name`, or undefined. */
export function getLink(nl: NetlinkSocket, name: string): LinkInfo | undefined {
  try {
    const r = nl.request(RTM.GETLINK, 0, ifinfomsg(), [attr.str(IFLA.IFNAME, name)], `get link ${name}`);
    return r[0] && r[0].type === RTM.NEWLINK ? parseLink(r[0].payload) : undefined;
  } catch (e) {
    if (e instanceof KernelError && (e.errnoName === 'ENODEV' || e.errnoName === 'ENOENT')) return undefined;
    throw e;
  }
}
