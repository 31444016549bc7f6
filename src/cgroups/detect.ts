// Where is cgroup v2 on this machine, and what may skiff do with it?
//
//   unified  /sys/fs/cgroup is cgroup2 (systemd.unified_cgroup_hierarchy=1, the default since
//            Debian 11): every controller lives there.
//   hybrid   /sys/fs/cgroup is a tmpfs of v1 hierarchies and cgroup2 sits at /sys/fs/cgroup/unified;
//            the controllers are bound to v1, so v2 has none (it can still group processes).
//
// skiff's cgroups hang under a *base*: rootful, the root of the hierarchy (of our cgroup namespace);
// rootless, the engine's cgroup when it is delegated to us (systemd's user@.service or a
// `systemd-run --user --scope -p Delegate=yes` scope), else nothing. The engine's cgroup is its holder's
// (src/rootless/systemd-scope.ts puts a holder made in an undelegated login session into a delegated scope
// of its own), so the CLI in a terminal and the Engine API service under `systemctl --user` share one base.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { engineMode, storePaths } from '../state/paths.js';
import { processStartTime } from '../kernel/process-identity.js';
import { checkCgroupName, readWords } from './utils.js';

export type CgroupLayout = 'unified' | 'hybrid' | 'other';

export interface CgroupMount {
  path: string;
  layout: CgroupLayout;
}

/** Leaf that holds the engine's own processes when our cgroup must hand controllers to children. */
export const ENGINE_LEAF = 'skiff-engine';

/** The controllers skiff can use, in the order Docker's flags need them. */
export const KNOWN_CONTROLLERS = ['cpu', 'cpuset', 'io', 'memory', 'pids'] as const;
export type Controller = (typeof KNOWN_CONTROLLERS)[number];

interface MountLine {
  mountPoint: string;
  fsType: string;
  superOptions: string;
}

function mountLines(mountinfo: string): MountLine[] {
  const out: MountLine[] = [];
  for (const line of mountinfo.split('\n')) {
    // id parent major:minor root mountpoint options [optional…] - fstype source superoptions
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    out.push({ mountPoint: unescapeMount(left[4] ?? ''), fsType: right[0] ?? '', superOptions: right[2] ?? '' });
  }
  return out;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function findCgroup2Mount(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): CgroupMount | undefined {
  const v2 = mountLines(mountinfo).filter((m) => m.fsType === 'cgroup2');
  // The last mount on a path is the visible one; prefer the two standard places.
  const at = (p: string) => v2.filter((m) => m.mountPoint === p).at(-1);
  if (at('/sys/fs/cgroup')) return { path: '/sys/fs/cgroup', layout: 'unified' };
  if (at('/sys/fs/cgroup/unified')) return { path: '/sys/fs/cgroup/unified', layout: 'hybrid' };
  const any = v2.at(-1);
  return any ? { path: any.mountPoint, layout: 'other' } : undefined;
}

/** Controllers bound to a v1 hierarchy (hybrid machines): name → its mount point. */
export function v1Controllers(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of mountLines(mountinfo)) {
    if (m.fsType !== 'cgroup') continue;
    for (const o of m.superOptions.split(',')) {
      const name = o === 'blkio' ? 'io' : o; // v1's blkio became v2's io
      if ((KNOWN_CONTROLLERS as readonly string[]).includes(name)) out.set(name, m.mountPoint);
    }
  }
  return out;
}

/** Our cgroup v2 path (the "0::" line), relative to the hierarchy root of our cgroup namespace. */
export function ownCgroup(procSelfCgroup = readFileSync('/proc/self/cgroup', 'utf8')): string | undefined {
  const line = procSelfCgroup.split('\n').find((l) => l.startsWith('0::'));
  return line === undefined ? undefined : line.slice(3) || '/';
}

export interface CgroupEnv {
  mount: CgroupMount | undefined;
  /** The engine's cgroup (v2): rootless, its holder's when it runs, else ours, as /proc/self/cgroup says. */
  own: string | undefined;
  rootless: boolean;
  /** Directory under which skiff's parent is made; undefined when skiff may not use cgroup v2 here. */
  base: string | undefined;
  /** Why base is undefined (one phrase, for error messages). */
  unusable: string | undefined;
  /** Controllers the base offers (its cgroup.controllers). */
  available: string[];
  /** Controllers already handed to the base's children (its cgroup.subtree_control). */
  enabled: string[];
  /** skiff's parent cgroup directory (base/<parentName>). */
  parent: string | undefined;
}

/**
 * Name of skiff's parent cgroup. The default store uses "skiff"; a store elsewhere (SKIFF_ROOT, as in
 * tests) gets its own parent, so a reconcile in one store never kills another store's containers.
 */
export function parentName(): string {
  if (!process.env.SKIFF_ROOT) return 'skiff';
  return `skiff-${createHash('sha256').update(storePaths().data).digest('hex').slice(0, 10)}`;
}

/** Whether this process may write the file (a delegated cgroup's cgroup.procs, subtree_control). */
export function canWrite(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The cgroup of this user's engine holder (engine.pid: "pid starttime"), when it is alive. */
function holderCgroup(): string | undefined {
  try {
    const [pid, start] = readFileSync(storePaths().enginePid, 'utf8').trim().split(' ');
    if (!pid || !start || processStartTime(Number(pid)) !== start) return undefined;
    return ownCgroup(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function detectCgroups(): CgroupEnv {
  const mount = findCgroup2Mount();
  const rootless = engineMode() === 'rootless';
  let own = (rootless ? holderCgroup() : undefined) ?? ownCgroup();
  const env: CgroupEnv = { mount, own, rootless, base: undefined, unusable: undefined, available: [], enabled: [], parent: undefined };
  if (!mount) {
    env.unusable = 'no cgroup2 filesystem is mounted';
    return env;
  }
  let base: string;
  if (!rootless) {
    base = mount.path;
  } else {
    if (own === undefined) {
      env.unusable = 'this process is in no cgroup v2';
      return env;
    }
    // After a first run our processes sit in the engine leaf; its parent is the delegated cgroup.
    if (basename(own) === ENGINE_LEAF) own = dirname(own);
    base = join(mount.path, own);
    if (!existsSync(base) || !canWrite(base) || !canWrite(join(base, 'cgroup.procs')) || !canWrite(join(base, 'cgroup.subtree_control'))) {
      env.unusable = `skiff's own cgroup ${own} is not delegated to this user`;
      return env;
    }
  }
  if (!canWrite(base)) {
    env.unusable = `${base} is read-only here`;
    return env;
  }
  env.base = base;
  env.available = readWords(base, 'cgroup.controllers');
  env.enabled = readWords(base, 'cgroup.subtree_control');
  env.parent = join(base, parentName());
  return env;
}

/** The directory of a container's cgroup, or undefined when skiff cannot use cgroup v2 here. */
export function containerCgroupDir(id: string, env: CgroupEnv = detectCgroups()): string | undefined {
  checkCgroupName(id);
  return env.parent ? join(env.parent, id) : undefined;
}
