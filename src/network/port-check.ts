// "Port already in use" must be found before anything is created. The only honest test is to try:
// bind the host port (TCP listen / UDP bind) on the requested address and let go at once.
// A random host port (-p 80) is chosen the same way: bind port 0, keep what the kernel gave.
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { SkiffError } from '../errors.js';
import { sameHostSocket, type PortSpec, type Proto } from './port-spec.js';

function inUse(spec: { hostIp: string; hostPort: number; proto: Proto }, cause?: unknown): SkiffError {
  return new SkiffError('EPORT', `port ${spec.hostIp}:${spec.hostPort}/${spec.proto} is already in use`,
    'pick another host port (-p OTHER:PORT), or stop whatever holds it (ss -ltnup shows it)', { cause });
}

/** Bind and release; resolves with the bound port (the kernel's choice when hostPort is 0). */
export function probePort(hostIp: string, hostPort: number, proto: Proto): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(inUse({ hostIp, hostPort, proto }, e));
      else if (e.code === 'EACCES') reject(new SkiffError('EPORT', `port ${hostPort} is privileged and this user may not bind it`, 'use a port ≥ 1024, or allow it: sysctl net.ipv4.ip_unprivileged_port_start=' + hostPort, { cause: e }));
      else if (e.code === 'EADDRNOTAVAIL') reject(new SkiffError('EPORT', `host IP ${hostIp} is not an address of this machine`, 'use 0.0.0.0, 127.0.0.1 or one of the addresses `ip addr` shows', { cause: e }));
      else reject(new SkiffError('EPORT', `cannot bind ${hostIp}:${hostPort}/${proto}: ${e.message}`, 'pick another host port', { cause: e }));
    };
    if (proto === 'tcp') {
      const s = createServer();
      s.once('error', fail);
      s.listen({ host: hostIp, port: hostPort, exclusive: true }, () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    } else {
      const s = createSocket('udp4');
      s.once('error', fail);
      s.bind({ address: hostIp, port: hostPort, exclusive: true }, () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    }
  });
}

/** Check every spec (taken = bindings other containers hold); resolve random host ports. */
export async function checkPorts(specs: PortSpec[], taken: PortSpec[] = []): Promise<PortSpec[]> {
  const out: PortSpec[] = [];
  for (const s of specs) {
    const clash = [...taken, ...out].find((t) => sameHostSocket(t, s));
    if (clash) throw inUse(s);
    let port = await probePort(s.hostIp, s.hostPort, s.proto);
    // A random port must not be one another container already published through DNAT (no socket
    // is bound for those, so the kernel could offer it).
    for (let tries = 0; s.hostPort === 0 && taken.some((t) => t.proto === s.proto && t.hostPort === port) && tries < 20; tries++) {
      port = await probePort(s.hostIp, 0, s.proto);
    }
    out.push({ ...s, hostPort: port });
  }
  return out;
}
