// The plan of the rootless engine namespace holder: a process in a new user + mount + net namespace
// that only waits. With subordinate ids it maps 0 → the user and 1… → the subuid range through
// newuidmap/newgidmap; without, a single id (the user as root), and setgroups denied as the kernel demands.
import { Plan } from '../spawn/plan.js';
import { cloneFlags } from '../spawn/namespaces.js';
import type { SubIdRange } from './subid.js';

export interface EnginePlanInput { uid: number; gid: number; subUid?: SubIdRange; subGid?: SubIdRange; trace: boolean }

export function engineHolderPlan(i: EnginePlanInput): Plan {
  const p = new Plan();
  if (i.trace) p.parent('trace', [], 'report how long every step takes');
  p.parent('clone', [cloneFlags(['NEWUSER', 'NEWNS', 'NEWNET']), ''], 'the engine namespace: skiff is root in here, and only in here');
  if (i.subUid && i.subGid) {
    p.parent('helper', ['newuidmap', '{pid}', '0', String(i.uid), '1', '1', String(i.subUid.start), String(i.subUid.count)],
      `uid 0 = you (${i.uid}), uids 1–${i.subUid.count} = your subordinate range from /etc/subuid`);
    p.parent('helper', ['newgidmap', '{pid}', '0', String(i.gid), '1', '1', String(i.subGid.start), String(i.subGid.count)],
      'the same for gids, from /etc/subgid');
  } else {
    p.parent('write-file', ['/proc/{pid}/uid_map', `0 ${i.uid} 1\n`], 'no /etc/subuid range: a single id, you as root');
    p.parent('write-file', ['/proc/{pid}/setgroups', 'deny'], 'the kernel requires setgroups off before an unprivileged gid map');
    p.parent('write-file', ['/proc/{pid}/gid_map', `0 ${i.gid} 1\n`], 'and a single gid');
  }
  p.parent('report-pid', [], 'the holder\'s pid goes to engine.pid');
  p.parent('wait-go', [], 'wait until engine.pid is written (or give up and kill it)');
  p.parent('release', [], 'maps are written: let it go on');
  p.parent('wait-exec', [], 'wait until it is ready');
  p.parent('detach', [], 'leave it running on its own');
  p.child('wait-parent', [], 'wait for the id maps');
  p.child('mount-private', [], 'nothing mounted in the engine propagates to the host');
  p.child('pause', [], 'hold the namespaces open until skiff is told to stop');
  return p;
}
