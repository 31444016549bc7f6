// Where skiff keeps things. One function decides, everything else asks it.
//
//   rootful:   data /var/lib/skiff            run /run/skiff
//   rootless:  data $XDG_DATA_HOME/skiff      run $XDG_RUNTIME_DIR/skiff
//              (~/.local/share/skiff)         (/tmp/skiff-run-<uid> when XDG_RUNTIME_DIR is unset, as podman does)
//   SKIFF_ROOT=/x overrides both:  data /x   run /x/run
//
// bin/skiff (the shell front door) computes the run dir the same way to find the rootless engine
// namespace before Node starts; test/unit/paths.test.ts keeps the two in agreement.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { securePaths } from './private-store.js';

export type EngineMode = 'rootful' | 'rootless';

export interface StorePaths {
  mode: EngineMode;
  /** The uid skiff acts for on the host (0 when rootful). */
  hostUid: number;
  hostGid: number;
  data: string;
  run: string;
  blobs: string;
  layers: string;
  images: string;
  containers: string;
  volumes: string;
  network: string;
  tmp: string;
  locks: string;
  /** Rootless engine namespace holder's pid file. */
  enginePid: string;
}

interface IdMapLine { inside: number; outside: number; count: number }

export function readIdMap(file: '/proc/self/uid_map' | '/proc/self/gid_map'): IdMapLine[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter((a) => a.length === 3)
    .map(([inside, outside, count]) => ({ inside: inside!, outside: outside!, count: count! }));
}

/** True when this process sits in the initial user namespace (the identity map over all ids). */
export function inInitialUserNamespace(): boolean {
  const map = readIdMap('/proc/self/uid_map');
  return map.length === 1 && map[0]!.inside === 0 && map[0]!.outside === 0 && map[0]!.count === 4294967295;
}

/** The host uid/gid the current process stands for: itself on the host, or what 0 maps to in a user namespace. */
export function hostIds(): { uid: number; gid: number } {
  if (inInitialUserNamespace()) return { uid: process.getuid!(), gid: process.getgid!() };
  // Inside skiff's engine namespace only 0 matters: it is the user who started skiff.
  const u = readIdMap('/proc/self/uid_map').find((l) => l.inside === 0);
  const g = readIdMap('/proc/self/gid_map').find((l) => l.inside === 0);
  return { uid: u?.outside ?? process.getuid!(), gid: g?.outside ?? process.getgid!() };
}

export function engineMode(): EngineMode {
  return inInitialUserNamespace() && process.geteuid!() === 0 ? 'rootful' : 'rootless';
}

export interface PathEnv {
  SKIFF_ROOT?: string | undefined;
  XDG_DATA_HOME?: string | undefined;
  XDG_RUNTIME_DIR?: string | undefined;
  HOME?: string | undefined;
}

export function dataAndRunRoots(mode: EngineMode, uid: number, env: PathEnv = process.env): { data: string; run: string } {
  if (env.SKIFF_ROOT) return { data: env.SKIFF_ROOT, run: join(env.SKIFF_ROOT, 'run') };
  if (mode === 'rootful') return { data: '/var/lib/skiff', run: '/run/skiff' };
  const home = env.HOME || homedir();
  const data = join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'skiff');
  const run = env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'skiff') : `/tmp/skiff-run-${uid}`;
  return { data, run };
}

export function storePathsFor(mode: EngineMode, uid: number, gid: number, env: PathEnv = process.env): StorePaths {
  const { data, run } = dataAndRunRoots(mode, uid, env);
  return {
    mode,
    hostUid: uid,
    hostGid: gid,
    data,
    run,
    blobs: join(data, 'blobs', 'sha256'),
    layers: join(data, 'layers'),
    images: join(data, 'images'),
    containers: join(data, 'containers'),
    volumes: join(data, 'volumes'),
    network: join(data, 'network'),
    tmp: join(data, 'tmp'),
    locks: join(run, 'locks'),
    enginePid: join(run, 'engine.pid'),
  };
}

let cached: StorePaths | undefined;

/**
 * The store of the running engine (computed once per process). Its data and run roots are checked
 * on the way: ours, private, no symlink (private-store.ts) — before anything is read or written.
 */
export function storePaths(): StorePaths {
  if (!cached) {
    const mode = engineMode();
    const { uid, gid } = hostIds();
    const paths = storePathsFor(mode, uid, gid);
    securePaths(paths.data, paths.run);
    cached = paths;
  }
  return cached;
}

/** Tests point one process at several stores. */
export function resetStorePathsCache(): void {
  cached = undefined;
}
