// `skiff system prune [-a] [--volumes]`: stopped containers, unused networks, dangling (with -a: unused)
// images and, with --volumes, anonymous volumes no container uses — Docker's order and its report.
import { humanSize } from '../format/size.js';

export interface SystemPruneOptions { all?: boolean; volumes?: boolean }

/** The warning docker prints before asking. */
export function pruneWarning(o: SystemPruneOptions): string {
  return ['WARNING! This will remove:', '  - all stopped containers', '  - all networks not used by at least one container',
    ...(o.volumes ? ['  - all anonymous volumes not used by at least one container'] : []),
    o.all ? '  - all images without at least one container associated to them' : '  - all dangling images',
    o.all ? '  - all build cache' : '  - unused build cache', ''].join('\n') + '\n';
}

/** An anonymous volume: Docker names them by 64 hex digits (`volume create` without a name, `-v /path`). */
const ANONYMOUS = /^[0-9a-f]{64}$/;

export async function systemPrune(o: SystemPruneOptions): Promise<string> {
  const { pruneContainers } = await import('./remove.js');
  const { networkPrune } = await import('./network.js');
  const { pruneImages } = await import('../image/remove.js');
  let out = '';
  let reclaimed = 0;
  const c = await pruneContainers();
  reclaimed += c.reclaimedBytes;
  if (c.deleted.length) out += `Deleted Containers:\n${c.deleted.map((id) => `${id}\n`).join('')}\n`;
  const nets = await networkPrune();
  if (nets.length) out += `Deleted Networks:\n${nets.map((n) => `${n}\n`).join('')}\n`;
  if (o.volumes) {
    const { listVolumes, removeVolume } = await import('../volumes/store.js');
    const { volumeUsers } = await import('./volume-users.js');
    const { diskUsage } = await import('./remove.js');
    const gone: string[] = [];
    for (const v of listVolumes().filter((x) => ANONYMOUS.test(x.Name))) {
      const users = await volumeUsers(v.Name);
      if (users.length) continue;
      const bytes = diskUsage(v.Mountpoint);
      removeVolume(v.Name, users);
      reclaimed += bytes;
      gone.push(v.Name);
    }
    if (gone.length) out += `Deleted Volumes:\n${gone.map((n) => `${n}\n`).join('')}\n`;
  }
  const img = await pruneImages(!!o.all);
  reclaimed += img.reclaimed;
  if (img.lines.length) out += `Deleted Images:\n${img.lines.map((l) => `${l}\n`).join('')}\n`;
  return `${out}Total reclaimed space: ${humanSize(reclaimed)}\n`;
}
