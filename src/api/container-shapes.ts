// moby's JSON for containers: the list entry (types.Container) and inspect (types.ContainerJSON,
// built by the engine's inspect). Times as Unix seconds in the list, RFC 3339 in inspect.
import type { ContainerRecord } from '../state/container-record.js';
import { parseIsoMs } from '../state/container-record.js';
import { statusText } from '../state/status-text.js';
import type { ContainerSizes } from '../engine/ps.js';

/** `sizes` only when the client asked (`size=1`): moby leaves SizeRw/SizeRootFs out otherwise. */
export function containerSummary(r: ContainerRecord, now = Date.now(), sizes?: ContainerSizes): Record<string, unknown> {
  const { config: c, state: s } = r;
  const ports: Array<Record<string, unknown>> = [];
  for (const [key, list] of Object.entries(s.NetworkSettings?.Ports ?? {})) {
    const [num, proto = 'tcp'] = key.split('/');
    if (!list || list.length === 0) ports.push({ PrivatePort: Number(num), Type: proto });
    else for (const b of list) ports.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: Number(num), PublicPort: Number(b.HostPort), Type: proto });
  }
  const net = c.HostConfig.NetworkMode === 'default' || !c.HostConfig.NetworkMode ? 'bridge' : c.HostConfig.NetworkMode;
  const ns = s.NetworkSettings;
  return {
    Id: c.Id,
    Names: [`/${c.Name}`],
    Image: c.ImageRef || c.Image,
    ImageID: c.Image,
    // As moby's list writes it: the path, then each argument, in single quotes when it holds a space.
    Command: [c.Path, ...c.Args.map((a) => (a.includes(' ') ? `'${a}'` : a))].join(' '),
    Created: Math.floor(parseIsoMs(c.Created) / 1000),
    Ports: ports,
    ...(sizes ?? {}),
    Labels: c.Config.Labels ?? {},
    State: s.Status,
    Status: statusText(s, now),
    HostConfig: { NetworkMode: net },
    NetworkSettings: { Networks: { [net]: { IPAddress: ns?.IPAddress ?? '', Gateway: ns?.Gateway ?? '', IPPrefixLen: ns?.IPPrefixLen ?? 0, MacAddress: ns?.MacAddress ?? '', NetworkID: '', EndpointID: '' } } },
    Mounts: (c.HostConfig.Binds ?? []).map((b) => {
      const [src = '', dst = '', mode = ''] = b.split(':');
      return { Type: src.startsWith('/') ? 'bind' : 'volume', ...(src.startsWith('/') ? {} : { Name: src }), Source: src, Destination: dst, Mode: mode, RW: mode !== 'ro', Propagation: '' };
    }),
  };
}
