// Docker keeps published ports as HostConfig.PortBindings ({"80/tcp": [{HostIp, HostPort}]}) and shows
// the live ones in NetworkSettings.Ports; the network code works with flat specs. Converting both ways.
import type { PortBinding as DockerBinding } from '../state/container-record.js';
import type { PortSpec } from '../network/port-spec.js';

export function toPortBindings(specs: PortSpec[]): Record<string, DockerBinding[]> {
  const out: Record<string, DockerBinding[]> = {};
  for (const s of specs) {
    const key = `${s.containerPort}/${s.proto}`;
    (out[key] ??= []).push({ HostIp: s.hostIp === '0.0.0.0' ? '' : s.hostIp, HostPort: s.hostPort ? String(s.hostPort) : '' });
  }
  return out;
}

export function fromPortBindings(bindings: Record<string, DockerBinding[]>): PortSpec[] {
  return Object.entries(bindings).flatMap(([key, list]) => {
    const [port, proto = 'tcp'] = key.split('/');
    return list.map((b) => ({ hostIp: b.HostIp || '0.0.0.0', hostPort: Number(b.HostPort) || 0, containerPort: Number(port), proto: proto as 'tcp' | 'udp' }));
  });
}

/** NetworkSettings.Ports: every exposed port, with the host side where it is published. */
export function portsForState(exposed: Record<string, object>, live: PortSpec[]): Record<string, DockerBinding[] | null> {
  const out: Record<string, DockerBinding[] | null> = {};
  for (const k of Object.keys(exposed)) out[k] = null;
  for (const s of live) {
    const key = `${s.containerPort}/${s.proto}`;
    (out[key] ??= []);
    out[key]!.push({ HostIp: s.hostIp, HostPort: String(s.hostPort) });
  }
  return out;
}
