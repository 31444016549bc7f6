// The container's user namespace maps every id the engine itself owns onto the same number: rootful,
// all 2^32 ids; rootless, the engine namespace's own range (0 = the user, 1… = its subordinate ids).
// So files in the layer store keep their owners, and root in the container is the engine's root.
import { readFileSync } from 'node:fs';

export interface IdMaps { uid: string; gid: string; uids: number; gids: number }

function identity(file: string): { map: string; count: number } {
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const count = lines.reduce((sum, [, , n]) => sum + (n ?? 0), 0);
  const map = lines.map(([inside, , n]) => `${inside} ${inside} ${n}`).join('\n') + '\n';
  return { map, count };
}

export function containerIdMaps(): IdMaps {
  const u = identity('/proc/self/uid_map');
  const g = identity('/proc/self/gid_map');
  return { uid: u.map, gid: g.map, uids: u.count, gids: g.count };
}

export function gidMapped(gid: number, maps: IdMaps): boolean {
  return maps.gid.split('\n').some((l) => {
    const [inside, , n] = l.split(' ').map(Number);
    return n !== undefined && inside !== undefined && gid >= inside && gid < inside + n;
  });
}

/** A single-id rootless engine had to deny setgroups(2); its containers inherit that. */
export function setgroupsAllowed(): boolean {
  try {
    return readFileSync('/proc/self/setgroups', 'utf8').trim() === 'allow';
  } catch {
    return true;
  }
}
