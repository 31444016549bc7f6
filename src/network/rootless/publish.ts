// Publishing one port across the rootless crossing.
//  - TCP: skiff-portfwd binds hostIp:hostPort in the host's netns and splices each connection to a
//    socket connected from inside the engine's netns straight to the container (no DNAT on the way).
//  - UDP: slirp4netns binds it and forwards to 10.0.2.100:hostPort in the engine's netns, where skiff's
//    DNAT rule (the same as rootful) takes it on to the container.
// Source addresses the container sees: docs/networking.md.
import { readFileSync, statSync } from 'node:fs';
import { SkiffError } from '../../errors.js';
import { probePort } from '../port-check.js';
import type { PortBinding } from '../port-spec.js';
import { portfwdRequest } from './portfwd-api.js';
import { slirpRequest, type SlirpReply } from './slirp-api.js';
import type { Uplink } from './uplink.js';

/** `via` absent: a slirp4netns forward (also every record written before skiff-portfwd existed). */
export interface Forward { fwdId: number; binding: PortBinding; via?: 'portfwd' }

/**
 * Where a forwarded TCP connection goes inside the engine's netns. `keepSource`: connect from the
 * client's own address (non-loopback clients), for which the engine must route the answers back
 * (source-routing.ts) — true for containers, not for a server in the engine's netns itself.
 */
interface ForwardTarget { ip: string; port: number; keepSource?: boolean }

const RANDOM_LO = 32768;
const RANDOM_HI = 60999;

function portError(b: PortBinding, desc: string): SkiffError {
  if (/permission|EACCES/i.test(desc) && b.hostPort < 1024) {
    return new SkiffError('EPORT', `port ${b.hostPort} is privileged and a rootless engine may not bind it`,
      `use a port ≥ 1024, or allow it: sudo sysctl net.ipv4.ip_unprivileged_port_start=${b.hostPort}`);
  }
  if (/in use|EADDRINUSE|bind/i.test(desc)) {
    return new SkiffError('EPORT', `port ${b.hostIp}:${b.hostPort}/${b.proto} is already in use`, 'pick another host port (-p OTHER:PORT), or stop whatever holds it');
  }
  return new SkiffError('EPORT', `cannot publish ${b.hostIp}:${b.hostPort}/${b.proto}: ${desc}`, 'see the engine\'s slirp4netns.log');
}

function unprivilegedStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
  } catch {
    return 1024;
  }
}

/**
 * slirp4netns only says "slirp_add_hostfwd failed", without errno. When we share its netns (the CLI
 * runs on the host side) we find the reason by binding the port ourselves; otherwise we judge by the
 * port number.
 */
async function diagnose(uplink: Uplink, b: PortBinding, desc: string): Promise<SkiffError> {
  let sameNetns = false;
  try {
    sameNetns = statSync('/proc/self/ns/net').ino === statSync(`/proc/${uplink.pid}/ns/net`).ino;
  } catch { /* slirp4netns gone */ }
  if (sameNetns) {
    try {
      await probePort(b.hostIp, b.hostPort, b.proto);
    } catch (e) {
      if (e instanceof SkiffError) return e;
    }
  } else if (b.hostPort < unprivilegedStart()) {
    return portError(b, 'permission denied');
  }
  return portError(b, desc);
}

async function add(uplink: Uplink, b: PortBinding): Promise<number> {
  const r = await slirpRequest(uplink.apiSocket, 'add_hostfwd', {
    proto: b.proto, host_addr: b.hostIp, host_port: b.hostPort, guest_addr: uplink.guestAddr, guest_port: b.hostPort,
  });
  if (r.error || typeof r.return?.id !== 'number') throw await diagnose(uplink, b, r.error?.desc ?? JSON.stringify(r));
  return r.return.id as number;
}

async function addTcp(socket: string, b: PortBinding, target: ForwardTarget): Promise<Forward> {
  const r = await portfwdRequest(socket, `add ${b.hostIp} ${b.hostPort} ${target.ip} ${target.port}${target.keepSource ? ' keep-source' : ''}`);
  if (!r.ok) throw portError(b, `${r.errno}: ${r.text}`);
  return { fwdId: Number(r.words[0]), binding: { ...b, hostPort: Number(r.words[1]) }, via: 'portfwd' };
}

/**
 * Forward one host port into the engine netns; a hostPort of 0 picks a free one. TCP goes to `target`
 * (default: the engine's own address, at the container port) through skiff-portfwd when the uplink
 * has one; UDP always through slirp4netns, to 10.0.2.100:hostPort (the engine's DNAT takes it on).
 */
export async function publishPort(uplink: Uplink, binding: PortBinding, target?: ForwardTarget): Promise<Forward> {
  if (binding.proto === 'tcp' && uplink.portfwd) {
    return addTcp(uplink.portfwd.socket, binding, target ?? { ip: uplink.guestAddr, port: binding.containerPort });
  }
  if (binding.hostPort !== 0) return { fwdId: await add(uplink, binding), binding };
  let last: unknown;
  for (let i = 0; i < 20; i++) {
    const b = { ...binding, hostPort: RANDOM_LO + Math.floor(Math.random() * (RANDOM_HI - RANDOM_LO)) };
    try {
      return { fwdId: await add(uplink, b), binding: b };
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

export async function unpublishPort(uplink: Uplink, fwd: Forward): Promise<void> {
  if (fwd.via === 'portfwd') {
    // A forwarder that is gone took its listeners with it.
    if (!uplink.portfwd) return;
    const r = await portfwdRequest(uplink.portfwd.socket, `del ${fwd.fwdId}`);
    if (!r.ok && r.errno !== 'ENOENT') {
      throw new SkiffError('ENETWORK', `skiff-portfwd could not remove forward ${fwd.fwdId}: ${r.text}`, 'restart the engine to drop stale forwards');
    }
    return;
  }
  const r = await slirpRequest(uplink.apiSocket, 'remove_hostfwd', { id: fwd.fwdId });
  if (r.error && !/not found|no such/i.test(r.error.desc ?? '')) {
    throw new SkiffError('ENETWORK', `slirp4netns could not remove forward ${fwd.fwdId}: ${r.error.desc}`, 'restart the engine to drop stale forwards');
  }
}

/** Every forward of the uplink, slirp4netns's and skiff-portfwd's, in slirp4netns's field names. */
export async function listForwards(uplink: Uplink): Promise<Array<Record<string, unknown>>> {
  // slirp4netns 1.2 answers list_hostfwd without the {"return": …} wrapper its man page shows.
  const r = (await slirpRequest(uplink.apiSocket, 'list_hostfwd')) as SlirpReply & { entries?: unknown };
  const slirp = ((r.return?.entries ?? r.entries) as Array<Record<string, unknown>> | undefined) ?? [];
  if (!uplink.portfwd) return slirp;
  const p = await portfwdRequest(uplink.portfwd.socket, 'list');
  const tcp = p.lines.map((l) => {
    const [id, hostAddr, hostPort, guestAddr, guestPort, conns] = l.split(' ');
    return { id: Number(id), proto: 'tcp', host_addr: hostAddr, host_port: Number(hostPort), guest_addr: guestAddr, guest_port: Number(guestPort), connections: Number(conns), via: 'portfwd' };
  });
  return [...slirp, ...tcp];
}
