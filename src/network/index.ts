// The hooks `run`/`rm` call. Order matters for "bad input leaves nothing half-made":
//   prepareNetwork  — IPAM + port checks + /etc files; nothing of the container's kernel-side yet (undone
//                     on failure); the shared bridge and NAT base are readied while the launcher starts
//   connectNetwork  — veth, address, routes, per-container NAT rules (rootless: host port forwards)
//   releaseNetwork  — idempotent: veth, rules, forwards, address, files
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { SkiffError } from '../errors.js';
import { storePaths } from '../state/paths.js';
import { DEFAULT_SUBNET, type Allocation, type Ipam } from './ipam.js';
import { ipamFor, listNetworks, natFor, requireNetwork, type NetworkRecord } from './networks.js';
import { peerHostsFiles } from './hosts-peers.js';
import { checkPorts } from './port-check.js';
import { removeEtcFiles, writeEtcFiles, type EtcCustom } from './etc-files.js';
import { BRIDGE, ensureBridge } from './bridge.js';
import { withNetlink } from '../kernel/netlink-socket.js';
import { getLink } from '../kernel/netlink-links.js';
import { listAddresses } from '../kernel/netlink-addresses.js';
import { connectVeth, disconnectVeth, macForIp } from './veth.js';
import { addPortRules, ensureNatBase, natBasePresent, removeRulesFor, type NatConfig } from './nat.js';
import { publishContainerPorts, unpublishContainerPorts } from './rootless/forwards.js';
import type { PortBinding, PortSpec } from './port-spec.js';

export type { PortSpec, PortBinding } from './port-spec.js';
export { parsePortSpec, publishAllSpecs, formatPorts } from './port-spec.js';

export interface NetworkRequest {
  id: string; name: string; hostname: string; mode: 'bridge' | 'none' | 'host'; ports: PortSpec[];
  /** A bridge network by name: the default `bridge` or one made by `network create`. */
  network?: string;
  /** More names peers on a user-defined network resolve this container by. */
  aliases?: string[];
  /** --add-host, --dns*, --domainname: what the container's /etc/hosts and resolv.conf add. */
  custom?: EtcCustom;
}

export interface PreparedNetwork {
  ip?: string;
  gateway?: string;
  prefixLen?: number;
  mac?: string;
  ports: PortBinding[];
  /** Host paths to bind-mount over /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  files: { hosts: string; hostname: string; resolvConf: string };
}

/**
 * Rootless: every packet crosses slirp4netns, whose cost is per packet, so the container's link uses
 * the uplink's MTU (65520) instead of 1500 — measured ×8 throughput through -p (docs/networking.md).
 */
const ROOTLESS_MTU = 65520;

export function networkFilesDir(id: string): string {
  return join(storePaths().network, 'containers', id);
}

function rootless(): boolean {
  return storePaths().mode === 'rootless';
}

/**
 * What this process knows of a container it prepared: its network and address, and the readying of
 * the shared host side (bridge up, NAT base rules) that runs while the launcher starts. connect and
 * an in-process release (the exit of an attached run) then read no pool and take no lock to find the
 * address again. Bounded: a long-lived API server that starts containers others release keeps only
 * the latest few.
 */
interface Wiring { net: NetworkRecord; ipam: Ipam; alloc: Allocation; hostSide?: Promise<number> }
const wired = new Map<string, Wiring>();
const WIRED_KEPT = 64;

function remember(id: string, w: Wiring): void {
  wired.delete(id);
  wired.set(id, w);
  if (wired.size > WIRED_KEPT) wired.delete(wired.keys().next().value!);
}

/** The bridge with its gateway, up, and the network's NAT base rules: shared, idempotent; the bridge's ifindex. */
async function readyHostSide(net: NetworkRecord, ipam: Ipam): Promise<number> {
  const bridgeIndex = ensureBridge(net.Bridge, ipam.gateway, ipam.prefixLen);
  await ensureNatBase(natFor(net));
  return bridgeIndex;
}

/**
 * Start readying the host side once this process next waits: `run` goes on to spawn the launcher
 * (synchronous), and the host side is then done while the launcher starts and clones the container,
 * off the path from the container's pid to its program. A failure surfaces in connectNetwork.
 */
function readyHostSideSoon(net: NetworkRecord, ipam: Ipam): Promise<number> {
  const p = new Promise<void>((r) => setImmediate(r)).then(() => readyHostSide(net, ipam));
  p.catch(() => {}); // handled where connectNetwork awaits it; a run that failed earlier never does
  return p;
}

export async function prepareNetwork(req: NetworkRequest): Promise<PreparedNetwork> {
  const dir = networkFilesDir(req.id);
  if (req.mode !== 'bridge') {
    // Docker ignores -p with --network host/none; so do we (nothing to publish into).
    const files = writeEtcFiles({ dir, hostname: req.hostname, mode: req.mode, rootless: rootless(), ...(req.custom ? { custom: req.custom } : {}) });
    return { ports: [], files };
  }
  const net = requireNetwork(req.network ?? 'bridge');
  const ipam = ipamFor(net);
  // In rootless mode host ports live in the host's netns; the forwarder reports clashes when it binds.
  // Without ports there is nothing to clash: the other networks' records are not read at all.
  const ports = rootless() || req.ports.length === 0 ? req.ports.map((p) => ({ ...p }))
    : await checkPorts(req.ports, (await allBridgeAllocations()).filter(([id]) => id !== req.id).flatMap(([, a]) => a.ports));
  const names = { name: req.name, hostname: req.hostname, ...(req.aliases?.length ? { aliases: req.aliases } : {}), ...(req.custom?.extraHosts?.length ? { extraHosts: req.custom.extraHosts } : {}) };
  const alloc = await ipam.claim(req.id, ports, names);
  const ip = alloc.ip;
  try {
    const files = writeEtcFiles({ dir, hostname: req.hostname, ip, mode: 'bridge', rootless: rootless(), ...(req.custom ? { custom: req.custom } : {}) });
    if (!net.Builtin) peerHostsFiles(await ipam.list(), networkFilesDir);
    remember(req.id, { net, ipam, alloc, hostSide: readyHostSideSoon(net, ipam) });
    return { ip, gateway: ipam.gateway, prefixLen: ipam.prefixLen, mac: macForIp(ip), ports, files };
  } catch (e) {
    await ipam.release(req.id);
    removeEtcFiles(dir);
    throw e;
  }
}

/** Every address of every bridge network, with its container id. */
async function allBridgeAllocations(): Promise<Array<[string, Allocation]>> {
  const out: Array<[string, Allocation]> = [];
  for (const n of listNetworks().filter((x) => x.Driver === 'bridge')) out.push(...Object.entries(await ipamFor(n).list()));
  return out;
}

/**
 * The container's allocation on the network this process prepared it for, read again from that one
 * pool (another process may have released it meanwhile, e.g. the supervisor's cleanup of a detached
 * run): one small file read, no lock, no other network's pool.
 */
async function knownAllocation(id: string, w: Wiring): Promise<Wiring | undefined> {
  const alloc = (await w.ipam.list())[id];
  return alloc ? { ...w, alloc } : undefined;
}

/** The bridge network a container has an address on, if any. */
async function networkOf(id: string): Promise<Wiring | undefined> {
  for (const net of listNetworks().filter((x) => x.Driver === 'bridge')) {
    const ipam = ipamFor(net);
    const alloc = (await ipam.list())[id];
    if (alloc) return { net, ipam, alloc };
  }
  return undefined;
}

/**
 * Plug the container (whose netns is `netnsPath`) into the bridge and publish its ports. Returns the
 * bindings as published (rootless: the forwarder picks the host port of `-p 80`).
 */
export async function connectNetwork(id: string, netnsPath: string): Promise<PortBinding[]> {
  const found = wired.get(id) ?? await networkOf(id);
  if (!found) return []; // --network none/host: nothing to connect
  const { net, ipam, alloc } = found;
  const nat = natFor(net);
  if (!existsSync(netnsPath)) throw new SkiffError('ENETWORK', `network namespace ${netnsPath} does not exist`, 'the container exited before its network was set up');
  try {
    const bridgeIndex = await (found.hostSide ?? readyHostSide(net, ipam));
    found.hostSide = undefined; // a later start of the same container checks the host side again
    connectVeth({ id, netnsPath, bridgeIndex, ip: alloc.ip, prefixLen: ipam.prefixLen, gateway: ipam.gateway, ...(rootless() ? { mtu: ROOTLESS_MTU } : {}) });
    let ports = alloc.ports;
    if (rootless() && ports.length) {
      // The forwarder binds the host ports (in the host's netns) and picks random ones (-p 80).
      ports = await publishContainerPorts(id, ports, alloc.ip);
      await ipam.setPorts(id, ports);
      alloc.ports = ports;
    }
    await addPortRules(nat, id, alloc.ip, ports);
    return ports;
  } catch (e) {
    await releaseKernelSide(id, nat, { rules: true, link: true });
    throw e;
  }
}

/**
 * What to undo. `rules`: per-container NAT rules exist only for published ports (listing the table
 * costs a full nftables cache fill). `link`: a container whose processes are all gone has taken its
 * network namespace with it, and the kernel removes the veth pair itself (within ~20 ms here); a
 * DELLINK of ours would only wait for that teardown on the caller's clock. The next start of the same
 * container replaces a pair the kernel has not yet removed (veth.ts).
 */
interface KernelRelease { rules: boolean; link: boolean }

async function releaseKernelSide(id: string, nat: NatConfig, what: KernelRelease): Promise<void> {
  const errors: unknown[] = [];
  const attempt = async (fn: () => unknown) => {
    try {
      await fn();
    } catch (e) {
      errors.push(e);
    }
  };
  await attempt(() => unpublishContainerPorts(id));
  if (what.rules) await attempt(() => removeRulesFor(nat, id));
  if (what.link) await attempt(() => disconnectVeth(id));
  if (errors.length) throw errors[0];
}

/**
 * Undo everything for `id`; safe to call twice, or for a container that never got a network.
 * `processesGone`: the container's init has exited (its namespaces go with it), as after its exit.
 */
export async function releaseNetwork(id: string, opts: { processesGone?: boolean } = {}): Promise<void> {
  const w = wired.get(id);
  wired.delete(id);
  // The exit of a run this process started, without published ports: no rule or forward was made
  // and the kernel takes the veth with the namespace, so only the address and the files are left —
  // one locked update of the pool (a no-op if another process released it first).
  if (w && opts.processesGone && w.alloc.ports.length === 0) {
    try {
      await w.ipam.release(id);
    } finally {
      removeEtcFiles(networkFilesDir(id));
      if (!w.net.Builtin) peerHostsFiles(await w.ipam.list(), networkFilesDir);
    }
    return;
  }
  const found = (w && await knownAllocation(id, w)) ?? await networkOf(id);
  // No address was ever allocated (--network none/host): no veth, rule or forward can exist either.
  if (!found) {
    removeEtcFiles(networkFilesDir(id));
    return;
  }
  try {
    await releaseKernelSide(id, natFor(found.net), { rules: found.alloc.ports.length > 0, link: !opts.processesGone });
  } finally {
    // The address and files go even when a kernel object was already gone or refused to go.
    await found.ipam.release(id);
    removeEtcFiles(networkFilesDir(id));
    if (!found.net.Builtin) peerHostsFiles(await found.ipam.list(), networkFilesDir);
  }
}

/** The bindings recorded for a container (for `skiff port` and the PORTS column). */
export async function containerPorts(id: string): Promise<PortBinding[]> {
  return (await networkOf(id))?.alloc.ports ?? [];
}

/** Crash recovery at engine start: release every network whose container no longer exists. */
export async function reconcileNetworks(liveIds: Iterable<string>): Promise<string[]> {
  const live = new Set(liveIds);
  const stale = [...new Set((await allBridgeAllocations()).map(([id]) => id))].filter((id) => !live.has(id));
  for (const id of stale) await releaseNetwork(id);
  return stale;
}

/**
 * The read-only half of the bridge path, run once ahead by a pre-started worker (src/warm/worker.ts):
 * a fresh process pays on its first netlink and nftables requests for loading libnftables, binding
 * the ffi functions and compiling this code — cold, ensureBridge took 23–30 ms and the NAT check
 * 10–96 ms on this VM, warm ≈ 1 ms each. Changes nothing (a link lookup, an address and a rule
 * listing, a netlink socket made through setns into this same namespace); any failure is ignored.
 */
export function primeNetwork(): void {
  try {
    withNetlink((nl) => {
      getLink(nl, BRIDGE);
      listAddresses(nl);
    }, '/proc/thread-self/ns/net');
  } catch {
    // nothing to warm where netlink is refused; the run reports its own errors
  }
  // Never throws (a missing table lists as empty). No store path is touched here: the worker does not
  // know its caller's store (SKIFF_ROOT, rootless) yet, and storePaths() keeps its first answer.
  natBasePresent({ bridge: BRIDGE, subnet: DEFAULT_SUBNET });
}
