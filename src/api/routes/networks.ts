// Networks and volumes: list, inspect, create, delete, prune — enough for compose's project network
// and named volumes. Containers on a user network find each other by name and alias (/etc/hosts).
import type { Router } from '../router.js';
import { ApiError } from '../errors.js';
import { boolParam, readJson, sendEmpty, sendJson } from '../http-util.js';
import type { Events } from '../events.js';
import type { NetworkRecord } from '../../network/networks.js';

async function networkShape(n: NetworkRecord): Promise<Record<string, unknown>> {
  const { listContainers } = await import('../../state/liveness.js');
  const containers: Record<string, unknown> = {};
  for (const c of await listContainers()) {
    const mode = c.config.HostConfig.NetworkMode === 'default' ? 'bridge' : c.config.HostConfig.NetworkMode;
    if (mode !== n.Name || !c.state.Running) continue;
    const ns = c.state.NetworkSettings;
    containers[c.config.Id] = { Name: c.config.Name, EndpointID: '', MacAddress: ns.MacAddress, IPv4Address: ns.IPAddress ? `${ns.IPAddress}/${ns.IPPrefixLen}` : '', IPv6Address: '' };
  }
  return {
    Name: n.Name, Id: n.Id, Created: n.Created, Scope: 'local', Driver: n.Driver, EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: n.Subnet ? [{ Subnet: n.Subnet, Gateway: n.Gateway }] : [] },
    Internal: false, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
    // Only the default bridge reports its bridge name: compose compares a user network's Options with
    // the ones it asked for (none) and would recreate the network otherwise.
    Containers: containers, Options: n.Builtin && n.Bridge ? { 'com.docker.network.bridge.name': n.Bridge } : {}, Labels: n.Labels ?? {},
  };
}

export function networkRoutes(r: Router, events: Events): void {
  r.on('GET', '/networks', async (ctx) => {
    const { listNetworks } = await import('../../network/networks.js');
    const { filterList } = await import('../http-util.js');
    const filters = filterList(ctx.query);
    const match = (n: NetworkRecord) => filters.every((f) => {
      const k = f.slice(0, f.indexOf('=')), v = f.slice(f.indexOf('=') + 1);
      if (k === 'name') return n.Name.includes(v);
      if (k === 'id') return n.Id.startsWith(v);
      if (k === 'driver') return n.Driver === v;
      if (k === 'label') { const [lk, lv] = v.split('=', 2); return n.Labels?.[lk!] !== undefined && (lv === undefined || n.Labels[lk!] === lv); }
      return true;
    });
    sendJson(ctx.response(), 200, await Promise.all(listNetworks().filter(match).map(networkShape)));
  });

  r.on('GET', '/networks/{id}', async (ctx) => {
    const { findNetwork } = await import('../../network/networks.js');
    const n = findNetwork(ctx.params[0]!);
    if (!n) throw new ApiError(404, `network ${ctx.params[0]} not found`);
    sendJson(ctx.response(), 200, await networkShape(n));
  });

  r.on('POST', '/networks/create', async (ctx) => {
    const body = (await readJson<{ Name?: string; Driver?: string; IPAM?: { Config?: Array<{ Subnet?: string }> }; Labels?: Record<string, string>; Internal?: boolean; EnableIPv6?: boolean; CheckDuplicate?: boolean }>(ctx)) ?? {};
    if (!body.Name) throw new ApiError(400, 'network name cannot be empty');
    if (body.Driver && body.Driver !== 'bridge') throw new ApiError(400, `skiff does not support network driver ${body.Driver} (only bridge)`);
    if (body.Internal) throw new ApiError(400, 'skiff does not support Internal networks yet');
    if (body.EnableIPv6) throw new ApiError(400, 'skiff does not support EnableIPv6 yet');
    const cfg = body.IPAM?.Config ?? [];
    if (cfg.length > 1) throw new ApiError(400, 'skiff supports one IPAM config per network');
    const { createNetwork, findNetwork } = await import('../../network/networks.js');
    if (findNetwork(body.Name)?.Name === body.Name) throw new ApiError(409, `network with name ${body.Name} already exists`);
    const n = await createNetwork(body.Name, { ...(cfg[0]?.Subnet ? { subnet: cfg[0].Subnet } : {}), ...(body.Labels ? { labels: body.Labels } : {}) });
    sendJson(ctx.response(), 201, { Id: n.Id, Warning: '' });
  });

  r.on('DELETE', '/networks/{id}', async (ctx) => {
    const { networkRm } = await import('../../engine/network.js');
    await networkRm(ctx.params[0]!);
    sendEmpty(ctx.response(), 204);
  });

  // skiff gives a container one network, chosen before it starts: connect/disconnect change that
  // choice for a container that is not running (compose does this before it starts each one).
  r.on('POST', '/networks/{id}/connect', async (ctx) => {
    const body = (await readJson<{ Container?: string; EndpointConfig?: { Aliases?: string[] | null; IPAMConfig?: unknown } | null }>(ctx)) ?? {};
    const { net, id, c, current, running } = await endpoint(ctx.params[0]!, body.Container);
    const aliases = body.EndpointConfig?.Aliases ?? [];
    if (running) {
      if (current === net.Name) return sendEmpty(ctx.response(), 200);
      throw new ApiError(400, `skiff cannot connect a running container to a second network (${c.Name} is on ${current})`);
    }
    const { setContainerNetwork } = await import('../../state/containers.js');
    await setContainerNetwork(id, net.Name, aliases);
    events.emit('network', 'connect', net.Id, { container: id, name: net.Name });
    sendEmpty(ctx.response(), 200);
  });

  r.on('POST', '/networks/{id}/disconnect', async (ctx) => {
    const body = (await readJson<{ Container?: string; Force?: boolean }>(ctx)) ?? {};
    const { net, id, c, current, running } = await endpoint(ctx.params[0]!, body.Container);
    if (current !== net.Name) throw new ApiError(400, `container ${c.Name} is not connected to network ${net.Name}`);
    if (running) throw new ApiError(400, `skiff cannot disconnect a running container from its network (stop ${c.Name} first)`);
    const { setContainerNetwork } = await import('../../state/containers.js');
    await setContainerNetwork(id, 'none', []);
    events.emit('network', 'disconnect', net.Id, { container: id, name: net.Name });
    sendEmpty(ctx.response(), 200);
  });

  r.on('POST', '/networks/prune', async (ctx) => {
    const { networkPrune } = await import('../../engine/network.js');
    sendJson(ctx.response(), 200, { NetworksDeleted: await networkPrune() });
  });

  r.on('GET', '/volumes', async (ctx) => {
    const { listVolumes } = await import('../../volumes/store.js');
    sendJson(ctx.response(), 200, { Volumes: listVolumes(), Warnings: [] });
  });

  r.on('POST', '/volumes/create', async (ctx) => {
    const body = (await readJson<{ Name?: string; Driver?: string; DriverOpts?: Record<string, string>; Labels?: Record<string, string> | null }>(ctx)) ?? {};
    if (body.Driver && body.Driver !== 'local') throw new ApiError(400, `skiff does not support volume driver ${body.Driver}`);
    const { createVolume } = await import('../../volumes/store.js');
    const { randomBytes } = await import('node:crypto');
    const v = createVolume(body.Name || randomBytes(32).toString('hex'), {
      labels: body.Labels ?? {},
      // the local driver's type/device/o, as `volume create --opt` (src/volumes/local-driver.ts); a key it lacks is refused there
      ...(body.DriverOpts && Object.keys(body.DriverOpts).length ? { options: body.DriverOpts } : {}),
    });
    sendJson(ctx.response(), 201, v);
  });

  r.on('GET', '/volumes/{name}', async (ctx) => {
    const { getVolume } = await import('../../volumes/store.js');
    const v = getVolume(ctx.params[0]!);
    if (!v) throw new ApiError(404, `get ${ctx.params[0]}: no such volume`);
    sendJson(ctx.response(), 200, v);
  });

  r.on('DELETE', '/volumes/{name}', async (ctx) => {
    const { getVolume } = await import('../../volumes/store.js');
    // force: a volume that is not there is not an error (moby's `volume rm -f`).
    if (boolParam(ctx.query, 'force') && !getVolume(ctx.params[0]!)) return sendEmpty(ctx.response(), 204);
    const { removeVolumeInUse } = await import('../../engine/volume-users.js');
    await removeVolumeInUse(ctx.params[0]!);
    sendEmpty(ctx.response(), 204);
  });
}

/** The network and container a connect/disconnect names, the container's network now, and whether it runs. */
async function endpoint(network: string, container: string | undefined) {
  const { requireNetwork } = await import('../../network/networks.js');
  const { readConfig, resolveContainer } = await import('../../state/containers.js');
  const { refreshState } = await import('../../state/liveness.js');
  const net = requireNetwork(network);
  const id = resolveContainer(container ?? '');
  const c = readConfig(id);
  const current = c.HostConfig.NetworkMode === 'default' ? 'bridge' : c.HostConfig.NetworkMode;
  return { net, id, c, current, running: (await refreshState(id)).Running };
}
