// Container names are unique across the store. Each taken name is a file `<data>/container-names/<name>`
// holding the owner's id; all changes happen under one names lock, so two CLIs racing for a name
// see each other. A reservation whose owner has no config.json (a create or rm cut off by a crash)
// is stale and may be taken over.
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { withLock } from './lock.js';
import { storePaths } from './paths.js';
import { SkiffError } from '../errors.js';
import { isValidContainerName } from './names.js';

export function namesDir(): string {
  return join(storePaths().data, 'container-names');
}

function namesLockPath(): string {
  return join(storePaths().locks, 'container-names.lock');
}

function ownerConfigExists(id: string): boolean {
  return /^[0-9a-f]{64}$/.test(id) && existsSync(join(storePaths().containers, id, 'config.json'));
}

/** The id that owns `name`, if a live container does. */
export function nameOwner(name: string): string | undefined {
  if (!isValidContainerName(name)) return undefined; // never let a name walk out of the names dir
  let owner: string;
  try {
    owner = readFileSync(join(namesDir(), name.replace(/^\//, '')), 'utf8').trim();
  } catch {
    return undefined;
  }
  return ownerConfigExists(owner) ? owner : undefined;
}

export function nameInUseError(name: string, owner: string): SkiffError {
  return new SkiffError(
    'ENAMEINUSE',
    `Conflict. The container name "/${name}" is already in use by container "${owner}"`,
    'You have to remove (or rename) that container to be able to reuse that name.',
  );
}

/** Run `fn` holding the names lock (creates, renames and removes nest container lock → names lock). */
export function withNamesLock<R>(fn: () => Promise<R> | R): Promise<R> {
  return withLock(namesLockPath(), fn);
}

/** Claim `name` for `id`; caller holds the names lock. Throws ENAMEINUSE when a live container has it. */
export function reserveNameLocked(name: string, id: string): void {
  const owner = nameOwner(name);
  if (owner && owner !== id) throw nameInUseError(name, owner);
  writeFileAtomic(join(namesDir(), name), id + '\n');
}

/** Give `name` back if `id` still owns it; caller holds the names lock. */
export function releaseNameLocked(name: string, id: string): void {
  const file = join(namesDir(), name);
  try {
    if (readFileSync(file, 'utf8').trim() !== id) return;
    unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
