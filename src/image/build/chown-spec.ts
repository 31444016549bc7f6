// COPY/ADD --chown=user[:group]: numeric ids as given; names looked up in the /etc/passwd and
// /etc/group of the image being built (read straight from its layer tars, topmost layer first).
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import { SkiffError } from '../../errors.js';

async function fileFromLayer(layerPath: string, want: string): Promise<string | undefined> {
  let found: string | undefined;
  const chunks: Buffer[] = [];
  const parser = new Parser({
    onReadEntry: (e: ReadEntry) => {
      if (found === undefined && e.type === 'File' && e.path.replace(/^\.?\/+/, '') === want) {
        e.on('data', (c: Buffer) => chunks.push(c));
        e.on('end', () => (found = Buffer.concat(chunks).toString('utf8')));
      } else e.resume();
    },
  });
  await pipeline(createReadStream(layerPath), parser);
  return found;
}

async function imageFile(layerPaths: string[], want: string): Promise<string | undefined> {
  for (const p of [...layerPaths].reverse()) {
    const text = await fileFromLayer(p, want);
    if (text !== undefined) return text;
  }
  return undefined;
}

function lookup(db: string | undefined, name: string): { id: number; gid?: number } | undefined {
  for (const line of (db ?? '').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 3) return { id: Number(f[2]), ...(f[3] !== undefined && /^\d+$/.test(f[3]) ? { gid: Number(f[3]) } : {}) };
  }
  return undefined;
}

/** Resolves a --chown spec against the image's layers (gzip'd or plain tars, bottom first). */
export async function resolveChown(spec: string, layerPaths: string[]): Promise<{ uid: number; gid: number }> {
  const [user, group] = spec.split(':', 2) as [string, string | undefined];
  const numeric = (s: string) => /^\d+$/.test(s);
  let passwd: string | undefined;
  let uid: number;
  let gid: number | undefined;
  if (numeric(user)) uid = Number(user);
  else {
    passwd = await imageFile(layerPaths, 'etc/passwd');
    const u = lookup(passwd, user);
    if (!u) throw new SkiffError('EBUILD', `unable to find user ${user}: no matching entries in passwd file`, 'create the user in an earlier step, or use numeric ids: --chown=1000:1000');
    uid = u.id;
    gid = u.gid;
  }
  if (group === undefined) return { uid, gid: gid ?? uid };
  if (numeric(group)) return { uid, gid: Number(group) };
  const g = lookup(await imageFile(layerPaths, 'etc/group'), group);
  if (!g) throw new SkiffError('EBUILD', `unable to find group ${group}: no matching entries in group file`, 'create the group in an earlier step, or use a numeric gid');
  return { uid, gid: g.id };
}
