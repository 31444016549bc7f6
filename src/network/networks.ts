// Docker's networks: the default `bridge` (skiff0, 172.17.0.0/16), `host` and `none`, and user-defined
// bridges (`network create`), each with its own Linux bridge (br-<12 hex>), subnet (172.18–31.0.0/16
// unless --subnet), address pool and MASQUERADE rules. Containers on a user-defined network find each
// other by name (see hosts-peers.ts).
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { cidrString, formatIPv4, parseCidr, type Cidr } from './ipv4.js';
import { SkiffError } from '../errors.js';
import { readJsonIfExists, writeJsonAtomic } from '../state/atomic.js';
import { withLock } from '../state/lock.js';
import { storePaths } from '../state/paths.js';
import { nowIso } from '../state/container-record.js';
import { Ipam, DEFAULT_SUBNET } from './ipam.js';
import { BRIDGE } from './bridge.js';
import type { NatConfig } from './nat.js';
import { recordEvent } from '../state/events.js';

export interface NetworkRecord {
  Name: string;
  Id: string;
  Driver: 'bridge' | 'host' | 'null';
  Subnet: string;
  Gateway: string;
  Bridge: string;
  Created: string;
  /** bridge/host/none: always there, never removed. */
  Builtin: boolean;
  /** Given at create (compose marks its project networks with these). */
  Labels?: Record<string, string>;
}

const fixedId = (name: string) => createHash('sha256').update(`skiff-network-${name}`).digest('hex');
const BUILTIN: NetworkRecord[] = [
  { Name: 'bridge', Id: fixedId('bridge'), Driver: 'bridge', Subnet: DEFAULT_SUBNET, Gateway: '172.17.0.1', Bridge: BRIDGE, Created: '2024-01-01T00:00:00Z', Builtin: true },
  { Name: 'host', Id: fixedId('host'), Driver: 'host', Subnet: '', Gateway: '', Bridge: '', Created: '2024-01-01T00:00:00Z', Builtin: true },
  { Name: 'none', Id: fixedId('none'), Driver: 'null', Subnet: '', Gateway: '', Bridge: '', Created: '2024-01-01T00:00:00Z', Builtin: true },
];

const file = () => join(storePaths().network, 'networks.json');
const lock = () => join(storePaths().locks, 'networks.lock');
const userNetworks = (): NetworkRecord[] => readJsonIfExists<NetworkRecord[]>(file()) ?? [];

export function listNetworks(): NetworkRecord[] {
  return [...BUILTIN, ...userNetworks()];
}

/** By name, full id or unique id prefix. */
export function findNetwork(ref: string): NetworkRecord | undefined {
  const all = listNetworks();
  return all.find((n) => n.Name === ref) ?? all.find((n) => n.Id === ref) ?? (ref.length >= 3 ? onlyOne(all.filter((n) => n.Id.startsWith(ref))) : undefined);
}

function onlyOne<T>(xs: T[]): T | undefined {
  return xs.length === 1 ? xs[0] : undefined;
}

export function requireNetwork(ref: string): NetworkRecord {
  const n = findNetwork(ref);
  if (!n) throw new SkiffError('ENETWORK', `network ${ref} not found`, 'list networks with `skiff network ls`, or create it with `skiff network create`', { exitCode: 125 });
  return n;
}

export function ipamFor(n: NetworkRecord): Ipam {
  if (n.Name === 'bridge') return new Ipam();
  const p = storePaths();
  return new Ipam({ file: join(p.network, `ipam-${n.Id.slice(0, 12)}.json`), lockFile: join(p.locks, `network-${n.Id.slice(0, 12)}.lock`), subnet: n.Subnet });
}

export function natFor(n: NetworkRecord): NatConfig {
  return n.Name === 'bridge' ? { bridge: n.Bridge, subnet: n.Subnet } : { bridge: n.Bridge, subnet: n.Subnet, baseTag: `skiff-base-${n.Id.slice(0, 12)}` };
}

function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a), y = parseCidr(b);
  return x.first <= y.last && y.first <= x.last;
}

function parseSubnet(s: string): string {
  let r: Cidr;
  try {
    r = parseCidr(s);
  } catch {
    throw new SkiffError('EUSAGE', `invalid subnet ${s}`, 'give an IPv4 CIDR such as 172.20.0.0/16');
  }
  if (r.prefixLen > 28) throw new SkiffError('EUSAGE', `subnet ${s} is too small`, 'use a /28 or larger');
  return cidrString(r);
}

export async function createNetwork(name: string, opts: { subnet?: string; labels?: Record<string, string> } = {}): Promise<NetworkRecord> {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw new SkiffError('EUSAGE', `invalid network name "${name}"`, 'use letters, digits, _ . - (starting with a letter or digit)');
  return withLock(lock(), () => {
    if (listNetworks().some((n) => n.Name === name)) throw new SkiffError('ENAMEINUSE', `network with name ${name} already exists`, 'pick another name, or remove it first with `skiff network rm`');
    const used = listNetworks().map((n) => n.Subnet).filter(Boolean);
    let subnet: string;
    if (opts.subnet) {
      subnet = parseSubnet(opts.subnet);
      const clash = used.find((u) => overlaps(u, subnet));
      if (clash) throw new SkiffError('ENETWORK', `invalid pool request: Pool overlaps with other one on this address space (${clash})`, 'choose a subnet that no other network uses');
    } else {
      const free = Array.from({ length: 14 }, (_, i) => `172.${18 + i}.0.0/16`).find((c) => !used.some((u) => overlaps(u, c)));
      if (!free) throw new SkiffError('ENETWORK', 'could not find an available, non-overlapping IPv4 address pool among the defaults', 'remove unused networks or pass --subnet');
      subnet = free;
    }
    const id = randomBytes(32).toString('hex');
    const first = parseCidr(subnet).first;
    const rec: NetworkRecord = { Name: name, Id: id, Driver: 'bridge', Subnet: subnet, Gateway: formatIPv4(first + 1), Bridge: `br-${id.slice(0, 12)}`, Created: nowIso(), Builtin: false, ...(opts.labels ? { Labels: opts.labels } : {}) };
    writeJsonAtomic(file(), [...userNetworks(), rec]);
    recordEvent('network', 'create', id, { name, type: 'bridge' });
    return rec;
  });
}

/** Forget a user-defined network; the caller has already removed its bridge and rules. */
export async function deleteNetworkRecord(id: string): Promise<void> {
  const gone = userNetworks().find((n) => n.Id === id);
  await withLock(lock(), () => writeJsonAtomic(file(), userNetworks().filter((n) => n.Id !== id)));
  if (gone) recordEvent('network', 'destroy', id, { name: gone.Name, type: 'bridge' });
}
