// /etc/subuid and /etc/subgid: the ranges newuidmap/newgidmap may map for the invoking user. Images
// own files as many uids (root, www-data, nobody …): 65536 ids cover them all.
import type { Check, Probe } from '../types.js';

const WANT = 65536;

/** Largest range granted to the user in a subid file ("name:start:count" or "uid:start:count"). */
export function subidRange(text: string | undefined, name: string | undefined, uid: number): { start: number; count: number } | undefined {
  let best: { start: number; count: number } | undefined;
  for (const line of (text ?? '').split('\n')) {
    const [who, start, count] = line.trim().split(':');
    if (!who || start === undefined || count === undefined) continue;
    if (who !== name && who !== String(uid)) continue;
    const r = { start: Number(start), count: Number(count) };
    if (Number.isInteger(r.start) && Number.isInteger(r.count) && (!best || r.count > best.count)) best = r;
  }
  return best;
}

export const subordinateIdsCheck: Check = {
  id: 'subids',
  title: 'subordinate uid/gid ranges',
  neededFor: ['rootless'],
  run(probe: Probe) {
    const user = probe.invokingUser();
    const who = user.name ?? String(user.uid);
    const fix = `sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${user.name ?? '$USER'}`;
    if (user.uid === 0 && !user.viaSudo) {
      return { status: 'ok', detail: 'root (rootful mode maps ids itself)' };
    }
    const u = subidRange(probe.readFile('/etc/subuid'), user.name, user.uid);
    const g = subidRange(probe.readFile('/etc/subgid'), user.name, user.uid);
    const missing = [!u ? 'subuid' : '', !g ? 'subgid' : ''].filter(Boolean);
    if (missing.length) return { status: 'fail', detail: `no ${missing.join('/')} range for ${who}`, fix };
    const small = Math.min(u!.count, g!.count);
    if (small < WANT) {
      return { status: 'warn', detail: `${who} has only ${small} subordinate ids (images may use up to ${WANT})`, fix };
    }
    return { status: 'ok', detail: `${who}: uids ${u!.start}+${u!.count}, gids ${g!.start}+${g!.count}` };
  },
};
