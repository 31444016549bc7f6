// The container store: one directory per container under storePaths().containers/<id>/ holding
// config.json (the commit point: a container exists iff it has one), state.json, the json-file log
// and the shim's exit file. Every mutation takes the container's lock; name changes also take the
// names lock, always in that order (container → names) so no two CLIs can deadlock.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from './atomic.js';
import { withLock } from './lock.js';
import { storePaths } from './paths.js';
import { containerNameProblem, randomContainerName } from './names.js';
import { nameInUseError, nameOwner, releaseNameLocked, reserveNameLocked, withNamesLock } from './name-registry.js';
import { initialState, nowIso, type ContainerConfig, type ContainerRecord, type ContainerState } from './container-record.js';
import { SkiffError } from '../errors.js';
import { mountsUnder } from './mounts-under.js';
import { recordContainerEvent } from './events.js';

const FULL_ID = /^[0-9a-f]{64}$/;

export const containerDir = (id: string): string => join(storePaths().containers, id);
export const configPath = (id: string): string => join(containerDir(id), 'config.json');
export const statePath = (id: string): string => join(containerDir(id), 'state.json');
/** Docker's json-file log: one `{"log","stream","time"}` object per line. */
export const logPath = (id: string): string => join(containerDir(id), `${id}-json.log`);
/** Written by the shim when the process ends: line 1 exit code, line 2 ISO finish time. */
export const exitFilePath = (id: string): string => join(containerDir(id), 'exit');

/** Unix socket paths are limited to 108 bytes: the socket lives in the short run dir, by short id. */
export function attachSocketPath(id: string): string {
  const dir = join(storePaths().run, 'attach');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return join(dir, `${id.slice(0, 12)}.sock`);
}
/** Locks live in the run dir, not in the container dir, so waiting on one never recreates a removed dir. */
export const containerLockPath = (id: string): string => join(storePaths().locks, 'containers', `${id}.lock`);

export function noSuchContainer(ref: string): SkiffError {
  return new SkiffError('ENOCONTAINER', `No such container: ${ref}`, undefined, { exitCode: 1 });
}

export function containerExists(id: string): boolean {
  return FULL_ID.test(id) && existsSync(configPath(id));
}

/** What the caller decides at create; the store adds Id, Created and (if none given) a random Name. */
export type CreateSpec = Omit<ContainerConfig, 'Id' | 'Name' | 'Created'> & { Name?: string };

/**
 * Make a container record: reserve the name, write state.json then config.json. Runs under the
 * names lock, so a racing create sees either no container or a complete one; on failure nothing
 * is left behind.
 */
export async function createContainer(spec: CreateSpec, initial: ContainerState = initialState()): Promise<ContainerRecord> {
  const problem = spec.Name === undefined ? undefined : containerNameProblem(spec.Name);
  if (problem) throw new SkiffError('EUSAGE', problem, 'pick a name of letters, digits, _ . - starting with a letter or digit');
  const id = randomBytes(32).toString('hex');
  return withNamesLock(() => {
    const name = spec.Name !== undefined ? spec.Name.replace(/^\//, '') : pickRandomName(id);
    reserveNameLocked(name, id);
    const config: ContainerConfig = { ...spec, Id: id, Name: name, Created: nowIso() };
    try {
      mkdirSync(containerDir(id), { recursive: true, mode: 0o700 });
      writeJsonAtomic(statePath(id), initial);
      writeJsonAtomic(configPath(id), config);
    } catch (e) {
      rmSync(containerDir(id), { recursive: true, force: true });
      releaseNameLocked(name, id);
      throw e;
    }
    recordContainerEvent(config, 'create');
    return { config, state: initial };
  });
}

/** moby's daemon.generateNewName: six random tries (digits appended after the first), then the short id. */
function pickRandomName(id: string): string {
  for (let i = 0; i < 6; i++) {
    const name = randomContainerName(i);
    if (!nameOwner(name)) return name;
  }
  return id.slice(0, 12);
}

/**
 * Ids of complete container records. `checked: false` skips the per-record config.json check (a stat
 * per container): for callers that read every config anyway and skip ENOCONTAINER (liveness.ts).
 */
export function listContainerIds(checked = true): string[] {
  let entries: string[];
  try {
    entries = readdirSync(storePaths().containers);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return entries.filter((n) => FULL_ID.test(n) && (!checked || existsSync(configPath(n))));
}

export function readConfig(id: string): ContainerConfig {
  try {
    return readJson<ContainerConfig>(configPath(id));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw noSuchContainer(id);
    throw e;
  }
}

export function readState(id: string): ContainerState {
  try {
    return readJson<ContainerState>(statePath(id));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw noSuchContainer(id);
    throw e;
  }
}

/** Hold the container's lock for `fn`; throws ENOCONTAINER if the container is gone once locked. */
export async function withContainerLock<R>(id: string, fn: () => Promise<R> | R): Promise<R> {
  return withLock(containerLockPath(id), () => {
    if (!containerExists(id)) throw noSuchContainer(id);
    return fn();
  });
}

/** Replace state.json; the caller must hold the container lock (see withContainerLock). */
export function writeStateLocked(id: string, state: ContainerState): void {
  writeJsonAtomic(statePath(id), state);
}

/** Read-modify-write state.json under the lock. Do not call while already holding that lock. */
export async function updateState(id: string, change: (s: ContainerState) => ContainerState | void): Promise<ContainerState> {
  return withContainerLock(id, () => {
    const current = readState(id);
    const next = change(current) ?? current;
    writeStateLocked(id, next);
    return next;
  });
}

/** Find a container by full id, name, or unique id prefix — Docker's order. */
export function resolveContainer(ref: string): string {
  if (!ref) throw noSuchContainer(ref);
  if (containerExists(ref)) return ref;
  const byName = nameOwner(ref);
  if (byName) return byName;
  if (/^[0-9a-f]+$/.test(ref)) {
    const matches = listContainerIds().filter((id) => id.startsWith(ref));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      throw new SkiffError('ENOCONTAINER', `multiple IDs found with provided prefix: ${ref}`, 'give more characters of the id, or the name', { exitCode: 1 });
    }
  }
  throw noSuchContainer(ref);
}

/**
 * Delete the record: mark it removing, move the directory out of sight (so it vanishes from every
 * listing in one rename), release the name, then delete the files. A crash at any point leaves
 * either a listed container that `rm` can finish, or a stale name that the next create takes over.
 */
export async function deleteContainerRecord(id: string): Promise<void> {
  const trash = join(storePaths().containers, `.removing-${id}`);
  let config: ContainerConfig | undefined;
  await withContainerLock(id, async () => {
    config = readConfig(id);
    const name = config.Name;
    const mounted = mountsUnder(containerDir(id));
    if (mounted.length) {
      throw new SkiffError('ESTATE', `container ${id} still has mounts under its directory (${mounted.join(', ')})`, 'unmount them first (the engine\'s release step must run before the record is deleted)');
    }
    writeStateLocked(id, { ...readState(id), Status: 'removing', Running: false });
    renameSync(containerDir(id), trash);
    await withNamesLock(() => releaseNameLocked(name, id));
  });
  rmSync(trash, { recursive: true, force: true });
  try {
    unlinkSync(containerLockPath(id));
  } catch {
    // Someone may be waiting on it; they find the container gone. A leftover lock file is harmless.
  }
  if (config) recordContainerEvent(config, 'destroy');
}

/** Docker's rename: the new name must be free; config.json gets the new Name. */
export async function renameContainer(id: string, newName: string): Promise<void> {
  const name = newName.replace(/^\//, '');
  const problem = containerNameProblem(newName);
  if (problem) throw new SkiffError('EUSAGE', problem, 'pick a name of letters, digits, _ . - starting with a letter or digit');
  await withContainerLock(id, () =>
    withNamesLock(() => {
      const config = readConfig(id);
      if (config.Name === name) {
        throw new SkiffError('EUSAGE', 'Renaming a container with the same name as its current name', 'choose a different name', { exitCode: 1 });
      }
      const owner = nameOwner(name);
      if (owner && owner !== id) throw nameInUseError(name, owner);
      reserveNameLocked(name, id);
      writeJsonAtomic(configPath(id), { ...config, Name: name });
      releaseNameLocked(config.Name, id);
      recordContainerEvent({ ...config, Name: name }, 'rename', { oldName: `/${config.Name}` });
    }),
  );
}

/**
 * Docker's `network connect`/`disconnect` of a container that is not running: the network it joins
 * at its next start (one per container in skiff) and its aliases there.
 */
export async function setContainerNetwork(id: string, network: string, aliases: string[]): Promise<void> {
  await withContainerLock(id, () => {
    const config = readConfig(id);
    const { NetworkAliases: _old, ...rest } = config;
    writeJsonAtomic(configPath(id), { ...rest, HostConfig: { ...config.HostConfig, NetworkMode: network }, ...(aliases.length ? { NetworkAliases: aliases } : {}) });
  });
}
