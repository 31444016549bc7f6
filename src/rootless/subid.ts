// /etc/subuid and /etc/subgid: the subordinate id ranges an ordinary user may map into a user
// namespace through the setuid helpers newuidmap/newgidmap.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';

export interface SubIdRange { start: number; count: number }

export function parseSubIds(text: string, user: string, uid: number): SubIdRange | undefined {
  for (const line of text.split('\n')) {
    const [who, start, count] = line.trim().split(':');
    if (!who || line.trim().startsWith('#')) continue;
    if (who !== user && who !== String(uid)) continue;
    const s = Number(start), c = Number(count);
    if (Number.isInteger(s) && Number.isInteger(c) && c > 0) return { start: s, count: c };
  }
  return undefined;
}

export function subIdRanges(uid: number): { uid?: SubIdRange; gid?: SubIdRange; user: string } {
  let user = String(uid);
  try {
    user = userInfo().username;
  } catch {
    // A uid without a passwd entry: only numeric lines can match.
  }
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  return { user, uid: parseSubIds(read('/etc/subuid'), user, uid), gid: parseSubIds(read('/etc/subgid'), user, uid) };
}
