// `skiff network create|ls|rm|inspect`.
import { rmSync } from 'node:fs';
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';
import { listContainers } from '../state/liveness.js';
import { formatRows } from '../format/rows.js';
import { createNetwork, deleteNetworkRecord, ipamFor, listNetworks, natFor, requireNetwork, type NetworkRecord } from '../network/networks.js';

export async function networkCreate(name: string, opts: { subnet?: string; driver?: string }): Promise<string> {
  if (opts.driver && opts.driver !== 'bridge') throw new SkiffError('EUSAGE', `plugin "${opts.driver}" not found`, 'skiff networks use the bridge driver');
  const n = await createNetwork(name, { subnet: opts.subnet });
  trace.step('engine', `network ${name}: ${n.Subnet} on bridge ${n.Bridge} (made when its first container starts)`);
  return n.Id;
}

export function networkLs(quiet: boolean, format?: string): string {
  // docker/cli sorts the daemon's list by name (natural order), -q included.
  const nets = listNetworks().sort((a, b) => a.Name.localeCompare(b.Name, 'en', { numeric: true }));
  if (quiet) return nets.map((n) => n.Id.slice(0, 12) + '\n').join('');
  const rows = nets.map((n) => ({
    ID: n.Id.slice(0, 12), Name: n.Name, Driver: n.Driver, Scope: 'local', IPv4: 'true', IPv6: 'false', Internal: 'false',
    Labels: Object.entries(n.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','), CreatedAt: n.Created,
  }));
  return formatRows(format, 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}', rows,
    { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv4: 'IPV4', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT' });
}

async function users(n: NetworkRecord): Promise<Array<{ id: string; name: string }>> {
  return (await listContainers()).filter((r) => (r.config.HostConfig.NetworkMode === 'default' ? 'bridge' : r.config.HostConfig.NetworkMode) === n.Name)
    .map((r) => ({ id: r.config.Id, name: r.config.Name }));
}

export async function networkRm(ref: string): Promise<void> {
  const n = requireNetwork(ref);
  if (n.Builtin) throw new SkiffError('EUSAGE', `${n.Name} is a pre-defined network and cannot be removed`, 'only networks made with `skiff network create` can go', { exitCode: 1 });
  const u = await users(n);
  if (u.length) throw new SkiffError('ESTATE', `error while removing network: network ${n.Name} id ${n.Id} has active endpoints`, `remove its containers first: ${u.map((x) => x.name).join(', ')}`, { exitCode: 1 });
  const { withNetlink } = await import('../kernel/netlink-socket.js');
  const { deleteLinkIfExists } = await import('../kernel/netlink-links.js');
  const { removeBaseRules } = await import('../network/nat.js');
  withNetlink((nl) => deleteLinkIfExists(nl, n.Bridge));
  await removeBaseRules(natFor(n));
  rmSync(ipamFor(n).file, { force: true });
  await deleteNetworkRecord(n.Id);
}

/** One network as `network inspect` shows it; undefined when there is no such network. */
export async function networkInspectObject(ref: string): Promise<Record<string, unknown> | undefined> {
  let n: NetworkRecord;
  try {
    n = requireNetwork(ref);
  } catch {
    return undefined;
  }
  const allocs = n.Driver === 'bridge' ? await ipamFor(n).list() : {};
  const containers: Record<string, unknown> = {};
  for (const [id, a] of Object.entries(allocs)) containers[id] = { Name: a.name ?? '', MacAddress: a.mac ?? '', IPv4Address: `${a.ip}/${n.Subnet.split('/')[1]}`, IPv6Address: '' };
  return {
    Name: n.Name, Id: n.Id, Created: n.Created, Scope: 'local', Driver: n.Driver, EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: n.Subnet ? [{ Subnet: n.Subnet, Gateway: n.Gateway }] : [] },
    Internal: false, Attachable: false, Ingress: false, Containers: containers,
    Options: n.Bridge ? { 'com.docker.network.bridge.name': n.Bridge } : {}, Labels: {},
  };
}

/** `network prune`: every user-defined network no container uses (in-use ones are kept, as Docker does). */
export async function networkPrune(): Promise<string[]> {
  const deleted: string[] = [];
  for (const n of listNetworks().filter((x) => !x.Builtin)) {
    if ((await users(n)).length) continue;
    try {
      await networkRm(n.Id);
      deleted.push(n.Name);
    } catch {
      // taken meanwhile: kept
    }
  }
  return deleted;
}
