// Create skiff's parent cgroup and one cgroup per container under it, with the controllers the limits
// need handed down (cgroup.subtree_control) at every level, then write the limits. The lead's launcher
// puts the container's first process straight into the returned directory (CLONE_INTO_CGROUP).
//
//   <base>/cgroup.subtree_control   +cpu +memory …     base = hierarchy root, or our delegated cgroup
//   <base>/skiff/cgroup.subtree_control +cpu +memory …
//   <base>/skiff/<id>/memory.max …                      the container
//
// cgroup v2's "no internal processes" rule: a non-root cgroup with processes of its own cannot hand
// domain controllers to children (EBUSY). A delegated cgroup holds the engine itself, so — as crun,
// podman and docker-in-docker do — its processes first move into a leaf (<base>/skiff-engine).
import { mkdirSync, rmdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { trace } from '../trace.js';
import { detectCgroups, ENGINE_LEAF, KNOWN_CONTROLLERS, type CgroupEnv } from './detect.js';
import type { Limits } from './limits.js';
import { checkLimitsSupported } from './support.js';
import { writeLimits } from './resources.js';
import { checkCgroupName, readWords, writeCgroupFile } from './utils.js';
import { removeCgroupDir, removePrivateParentIfEmpty } from './cleanup.js';

function enableControllers(dir: string, wanted: string[], why: string): void {
  const have = new Set(readWords(dir, 'cgroup.subtree_control'));
  const add = wanted.filter((c) => !have.has(c));
  if (add.length) writeCgroupFile(dir, 'cgroup.subtree_control', add.map((c) => `+${c}`).join(' '), why);
}

/** Move every process of `base` into its leaf, so base may hand controllers down. */
function evacuateToLeaf(base: string): void {
  const leaf = join(base, ENGINE_LEAF);
  trace.step('cgroup', `mkdir -p ${leaf}`, 'cgroup v2 "no internal processes": the engine\'s own processes need a leaf of their own');
  mkdirSync(leaf, { recursive: true }); // another skiff may be doing the same right now
  for (const pid of readWords(base, 'cgroup.procs')) {
    try {
      writeCgroupFile(leaf, 'cgroup.procs', pid, 'move an engine process out of the cgroup that will delegate controllers');
    } catch (e) {
      // A process that exited meanwhile is fine; kernel threads cannot move and do not count.
      if (!/ESRCH|EINVAL/.test(String((e as Error).message))) throw e;
    }
  }
}

function enableAtBase(env: CgroupEnv, wanted: string[]): void {
  const base = env.base!;
  try {
    enableControllers(base, wanted, 'hand these controllers to skiff\'s parent cgroup');
  } catch (e) {
    if (!/EBUSY/.test(String((e as Error).message))) throw e;
    evacuateToLeaf(base);
    enableControllers(base, wanted, 'retry now that the engine sits in its leaf');
  }
}

function makeParent(parent: string, wanted: string[]): void {
  if (!existsSync(parent)) {
    trace.step('cgroup', `mkdir ${parent}`, "skiff's parent cgroup: all containers of this store hang below it");
    mkdirSync(parent, { recursive: true });
  }
  if (wanted.length) enableControllers(parent, wanted, 'hand the controllers down to the container cgroups');
}

/**
 * Create the container's cgroup with its limits. Returns its directory (for CLONE_INTO_CGROUP), or
 * undefined when this machine gives skiff no cgroup v2 and no limit was asked for. A limit that cannot be
 * applied is an ECGROUP error, raised before anything is created — never a silently unlimited container.
 */
export async function createContainerCgroup(id: string, limits: Limits): Promise<string | undefined> {
  checkCgroupName(id);
  const env = detectCgroups();
  checkLimitsSupported(env, limits);
  if (!env.base || !env.parent) {
    trace.step('cgroup', `no cgroup for ${id.slice(0, 12)}`, `${env.unusable ?? 'cgroup v2 unusable'}; no limit was asked for`);
    return undefined;
  }
  // All the controllers the base offers, not only those asked for now: `stats` reads them, and
  // `skiff update` may set a limit later.
  const wanted = KNOWN_CONTROLLERS.filter((c) => env.available.includes(c));
  if (wanted.length) enableAtBase(env, wanted);
  const dir = join(env.parent, id);
  if (existsSync(dir)) await removeCgroupDir(dir, 'a cgroup left by a crashed run with the same id');
  // A private store's parent is removed with its last container (cleanup.ts); if that happens between
  // our mkdirs, make the parent again.
  for (let attempt = 1; ; attempt++) {
    try {
      makeParent(env.parent, wanted);
      trace.step('cgroup', `mkdir ${dir}`, "the container's own cgroup: limits, stats, and a kill switch for all its processes");
      mkdirSync(dir);
      break;
    } catch (e) {
      const text = `${(e as NodeJS.ErrnoException).code} ${(e as Error).message}`;
      if (attempt >= 3 || !/ENOENT/.test(text)) throw e;
    }
  }
  try {
    writeLimits(dir, limits);
  } catch (e) {
    try {
      rmdirSync(dir);
      removePrivateParentIfEmpty(env.parent);
    } catch {
      /* leave it to reconcile */
    }
    throw e;
  }
  return dir;
}
