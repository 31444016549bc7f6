// Advisory locks with flock(2): the kernel drops them when the holder dies, so `kill -9` of a CLI
// mid-operation never leaves a stale lock behind (a lock *file* may stay; it is harmless).
// Node has no flock; we take it through ffi-rs with LOCK_NB and poll, so the event loop never blocks.
import { closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, T } from '../kernel/libc.js';
import { KernelError } from '../kernel/errno.js';
import { SkiffError } from '../errors.js';

const LOCK_EX = 2;
const LOCK_NB = 4;

export interface Lock { release(): void }

function tryFlock(fd: number): boolean {
  try {
    call({ fn: 'flock', types: [T.I32, T.I32], args: [fd, LOCK_EX | LOCK_NB], what: 'flock' });
    return true;
  } catch (e) {
    if (e instanceof KernelError && (e.errnoName === 'EWOULDBLOCK' || e.errnoName === 'EAGAIN')) return false;
    throw e;
  }
}

/** O_NOFOLLOW: a lock file that is a symlink is someone's trap (it would create or open their target). */
function openLockFile(path: string): number {
  try {
    return openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new SkiffError('EIO', `refusing lock file ${path}: it is a symlink`, 'remove it; skiff makes its lock files itself', { cause: e });
    }
    throw e;
  }
}

export async function acquireLock(path: string, timeoutMs = 30_000): Promise<Lock> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openLockFile(path);
  const deadline = Date.now() + timeoutMs;
  let wait = 2;
  while (!tryFlock(fd)) {
    if (Date.now() > deadline) {
      closeSync(fd);
      throw new SkiffError('ELOCKED', `timed out waiting for lock ${path}`, 'another skiff command is still working on it; try again');
    }
    await sleep(wait);
    wait = Math.min(wait * 2, 50);
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      closeSync(fd); // closing the only fd drops the flock
    },
  };
}

export async function withLock<R>(path: string, fn: () => Promise<R> | R, timeoutMs?: number): Promise<R> {
  const lock = await acquireLock(path, timeoutMs);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
