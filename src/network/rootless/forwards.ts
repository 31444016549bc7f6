// Per-container bookkeeping of rootless host forwards (<store>/network/forwards/<id>.json), so `rm`
// — or crash recovery — removes exactly the forwards a container got.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../../errors.js';
import { storePaths } from '../../state/paths.js';
import { readJsonIfExists, writeJsonAtomic } from '../../state/atomic.js';
import type { PortBinding } from '../port-spec.js';
import { publishPort, unpublishPort, type Forward } from './publish.js';
import { readUplink } from './uplink.js';
import { ensureSourceRouting } from './source-routing.js';

function recordFile(id: string): string {
  return join(storePaths().network, 'forwards', `${id}.json`);
}

/** Publish `ports` of the container at `containerIp` (its address on the engine's bridge). */
export async function publishContainerPorts(id: string, ports: PortBinding[], containerIp: string): Promise<PortBinding[]> {
  const uplink = readUplink();
  if (!uplink) throw new SkiffError('ENETWORK', 'the rootless engine has no uplink (slirp4netns, skiff-portfwd) to publish ports through', 'restart the engine namespace, or run without -p');
  const done: Forward[] = [];
  if (ports.some((p) => p.proto === 'tcp') && uplink.portfwd) ensureSourceRouting();
  try {
    for (const p of ports) {
      done.push(await publishPort(uplink, p, { ip: containerIp, port: p.containerPort, keepSource: true }));
      writeJsonAtomic(recordFile(id), done, 0o600); // written as we go: a crash mid-way still knows them
    }
  } catch (e) {
    for (const f of done) await unpublishPort(uplink, f).catch(() => undefined);
    rmSync(recordFile(id), { force: true });
    throw e;
  }
  return done.map((f) => f.binding);
}

export async function unpublishContainerPorts(id: string): Promise<void> {
  const file = recordFile(id);
  if (!existsSync(file)) return;
  const fwds = readJsonIfExists<Forward[]>(file) ?? [];
  const uplink = readUplink();
  // With the uplink gone its forwards died with it: only the record is left to remove.
  if (uplink) for (const f of fwds) await unpublishPort(uplink, f).catch(() => undefined);
  rmSync(file, { force: true });
}
