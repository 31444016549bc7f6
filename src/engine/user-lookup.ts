// Resolving `-u`/USER (name or number, with optional group) against the image's /etc/passwd and
// /etc/group. The files are read from the layer directories (topmost first), never through the
// container's merged view and never by running anything from the image.
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../errors.js';

export interface ResolvedUser { uid: number; gid: number; groups: number[]; home: string }

function readLayerFile(layerDirs: string[], rel: string): string | undefined {
  for (const dir of [...layerDirs].reverse()) {
    const p = join(dir, rel);
    try {
      const st = lstatSync(p);
      // A symlinked /etc/passwd could point anywhere on the host: treat it as absent.
      if (!st.isFile()) return undefined;
      if (st.size > 4 << 20) return undefined;
      return readFileSync(p, 'utf8');
    } catch {
      // Whiteouts and absent files alike: keep looking lower only for plain absence.
      continue;
    }
  }
  return undefined;
}

/**
 * runc's GetExecUser, as Docker uses it: supplementary groups are the primary gid, the /etc/group
 * memberships only in the implicit form (`-u name` or `-u uid`; `-u uid:gid` gives exactly that group),
 * and --group-add (names resolved in the image's /etc/group, numbers as they are): `docker run -u
 * 1000:1000 --group-add 1001 busybox id` prints groups=1000,1001.
 */
export function resolveUser(spec: string, layerDirs: string[], groupAdd: string[] = []): ResolvedUser {
  const [u = '', g] = spec.split(':');
  const passwd = (readLayerFile(layerDirs, 'etc/passwd') ?? '').split('\n').map((l) => l.split(':'));
  const group = (readLayerFile(layerDirs, 'etc/group') ?? '').split('\n').map((l) => l.split(':'));
  let uid: number, gid: number, home = '/', name: string | undefined;
  if (u === '' || /^\d+$/.test(u)) {
    uid = u === '' ? 0 : Number(u);
    const entry = passwd.find((p) => p[2] === String(uid));
    gid = entry ? Number(entry[3]) : 0;
    home = entry?.[5] || '/';
    name = entry?.[0];
  } else {
    const entry = passwd.find((p) => p[0] === u);
    if (!entry) throw new SkiffError('EUSAGE', `unable to find user ${u}: no matching entries in passwd file`, 'use a numeric uid, or a user the image defines');
    uid = Number(entry[2]);
    gid = Number(entry[3]);
    home = entry[5] || '/';
    name = u;
  }
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const entry = group.find((x) => x[0] === g);
      if (!entry) throw new SkiffError('EUSAGE', `unable to find group ${g}: no matching entries in group file`, 'use a numeric gid, or a group the image defines');
      gid = Number(entry[2]);
    }
  }
  const member = name && g === undefined ? group.filter((x) => (x[3] ?? '').split(',').includes(name)).map((x) => Number(x[2])) : [];
  const added = groupAdd.map((a) => {
    if (/^\d+$/.test(a)) return Number(a);
    const entry = group.find((x) => x[0] === a);
    if (!entry) throw new SkiffError('EUSAGE', `Unable to find group ${a}: no matching entries in group file`, 'use a numeric gid, or a group the image defines');
    return Number(entry[2]);
  });
  // Docker (measured, dockerd 20.10): the primary gid is always among the supplementary groups.
  const groups = [...new Set([gid, ...member, ...added])];
  if (uid === 0 && home === '/') home = '/root';
  return { uid, gid, groups, home };
}
