// `-p` / `-P` as Docker reads them, and the PORTS column as Docker prints it.
//   8088:80   127.0.0.1:8088:80   8088:80/udp   80 (random host port)   127.0.0.1::80
import { SkiffError } from '../errors.js';

export type Proto = 'tcp' | 'udp';

/** What the user asked for; hostPort 0 = "pick one for me". */
export interface PortSpec { hostIp: string; hostPort: number; containerPort: number; proto: Proto }

/** What was actually set up (hostPort resolved). */
export interface PortBinding extends PortSpec {}

const HINT = 'use [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp], e.g. -p 8088:80 or -p 127.0.0.1:8088:80/tcp';

function bad(spec: string, why: string): SkiffError {
  return new SkiffError('EPORT', `invalid port spec "${spec}": ${why}`, HINT, { exitCode: 125 });
}

function port(spec: string, s: string, what: string, allowZero: boolean): number {
  if (!/^\d{1,5}$/.test(s)) throw bad(spec, `${what} "${s}" is not a number`);
  const n = Number(s);
  if (n > 65535 || (n === 0 && !allowZero)) throw bad(spec, `${what} ${n} is outside 1-65535`);
  return n;
}

function ipv4(spec: string, s: string): string {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw bad(spec, `host IP "${s}" is not an IPv4 address`);
  }
  return parts.map(Number).join('.');
}

export function parsePortSpec(spec: string): PortSpec {
  const trimmed = spec.trim();
  if (!trimmed) throw bad(spec, 'empty');
  let body = trimmed;
  let proto: Proto = 'tcp';
  const slash = body.lastIndexOf('/');
  if (slash >= 0) {
    const p = body.slice(slash + 1).toLowerCase();
    if (p !== 'tcp' && p !== 'udp') throw bad(spec, `protocol "${p}" is not tcp or udp`);
    proto = p;
    body = body.slice(0, slash);
  }
  if (body.includes('-')) throw bad(spec, 'port ranges are read by parsePortSpecs (-p 8090-8091:80-81)');
  const parts = body.split(':');
  let hostIp = '0.0.0.0';
  let hostPort = 0;
  let containerPort: number;
  if (parts.length === 1) {
    containerPort = port(spec, parts[0]!, 'container port', false);
  } else if (parts.length === 2) {
    hostPort = parts[0] === '' ? 0 : port(spec, parts[0]!, 'host port', true);
    containerPort = port(spec, parts[1]!, 'container port', false);
  } else if (parts.length === 3) {
    hostIp = ipv4(spec, parts[0]!);
    hostPort = parts[1] === '' ? 0 : port(spec, parts[1]!, 'host port', true);
    containerPort = port(spec, parts[2]!, 'container port', false);
  } else {
    throw bad(spec, 'too many ":"');
  }
  return { hostIp, hostPort, containerPort, proto };
}

/** A "START-END" or "N" port field; undefined when it is neither (parsePortSpec then says why). */
function range(s: string): [number, number] | undefined {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2])];
}

/**
 * One -p, ranges expanded as Docker's nat.ParsePortSpec does: `8090-8091:80-81` is two bindings;
 * `80-81` alone publishes both on random host ports. Host and container ranges must be as long.
 */
export function parsePortSpecs(spec: string): PortSpec[] {
  if (!spec.includes('-')) return [parsePortSpec(spec)];
  const trimmed = spec.trim();
  const slash = trimmed.lastIndexOf('/');
  const proto = slash >= 0 ? trimmed.slice(slash) : '';
  const parts = (slash >= 0 ? trimmed.slice(0, slash) : trimmed).split(':');
  if (parts.length > 3) throw bad(spec, 'too many ":"');
  const ctrText = parts[parts.length - 1]!;
  const hostText = parts.length >= 2 ? parts[parts.length - 2]! : '';
  const ip = parts.length === 3 ? `${parts[0]}:` : '';
  const ctr = range(ctrText) ?? (/^\d{1,5}$/.test(ctrText) ? [Number(ctrText), Number(ctrText)] as [number, number] : undefined);
  if (!ctr) throw bad(spec, `invalid containerPort: ${ctrText}`);
  if (ctr[1] < ctr[0]) throw bad(spec, `invalid range: ${ctrText} (the end is below the start)`);
  const host = hostText === '' ? undefined : range(hostText) ?? (/^\d{1,5}$/.test(hostText) ? [Number(hostText), Number(hostText)] as [number, number] : undefined);
  if (hostText !== '' && !host) throw bad(spec, `invalid hostPort: ${hostText}`);
  if (host && host[1] < host[0]) throw bad(spec, `invalid range: ${hostText} (the end is below the start)`);
  const n = ctr[1] - ctr[0] + 1;
  if (host && host[1] - host[0] + 1 !== n) {
    throw bad(spec, `invalid ranges specified for container and host Ports: ${ctrText} and ${hostText}`);
  }
  if (n > 65535) throw bad(spec, 'range too large');
  const out: PortSpec[] = [];
  for (let i = 0; i < n; i++) {
    const h = host ? String(host[0] + i) : '';
    out.push(parsePortSpec(parts.length === 1 ? `${ctr[0] + i}${proto}` : `${ip}${h}:${ctr[0] + i}${proto}`));
  }
  return out;
}

/**
 * `-P`: every EXPOSEd port of the image (`ExposedPorts` keys such as "80/tcp") on a random host port.
 */
export function publishAllSpecs(exposedPorts: Record<string, unknown> | undefined): PortSpec[] {
  return Object.keys(exposedPorts ?? {}).map((k) => {
    const [num, proto = 'tcp'] = k.split('/');
    return parsePortSpec(`${num}/${proto}`);
  });
}

/** Two specs that would claim the same host socket. */
export function sameHostSocket(a: PortSpec, b: PortSpec): boolean {
  if (a.proto !== b.proto || a.hostPort !== b.hostPort || a.hostPort === 0) return false;
  return a.hostIp === b.hostIp || a.hostIp === '0.0.0.0' || b.hostIp === '0.0.0.0';
}

/** Docker's PORTS column: `0.0.0.0:8088->80/tcp, 127.0.0.1:9000->9000/udp`. */
export function formatPorts(bindings: PortBinding[]): string {
  return bindings.map((b) => `${b.hostIp}:${b.hostPort}->${b.containerPort}/${b.proto}`).join(', ');
}

/**
 * `skiff port ID [PRIVATE[/proto]]` as Docker prints it: `80/tcp -> 0.0.0.0:8088` per binding, or
 * only `0.0.0.0:8088` lines when a private port is asked for. Undefined when that port is not published.
 */
export function portCommandLines(bindings: PortBinding[], privatePort?: string): string[] | undefined {
  if (privatePort === undefined) return bindings.map((b) => `${b.containerPort}/${b.proto} -> ${b.hostIp}:${b.hostPort}`);
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/i.exec(privatePort.trim());
  if (!m) throw new SkiffError('EUSAGE', `invalid port "${privatePort}"`, 'use PORT or PORT/tcp or PORT/udp, e.g. skiff port web 80/tcp');
  const port = Number(m[1]);
  const proto = (m[2]?.toLowerCase() ?? 'tcp') as Proto;
  const hits = bindings.filter((b) => b.containerPort === port && b.proto === proto);
  return hits.length ? hits.map((b) => `${b.hostIp}:${b.hostPort}`) : undefined;
}
