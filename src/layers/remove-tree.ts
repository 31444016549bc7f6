// Removing an unpacked layer. Layers contain directories without write permission (0555 /usr/…,
// 0700 owned by others); an unprivileged remover must first give itself access, or rm fails
// half-way and leaves exactly the half-made tree we promised never to leave.
import { chmodSync, lstatSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

function openUp(dir: string): void {
  try {
    chmodSync(dir, 0o700);
  } catch {
    return;
  }
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (lstatSync(p).isDirectory()) openUp(p); // lstat: never descend through a symlink
  }
}

export function removeTree(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw e;
    openUp(path);
    rmSync(path, { recursive: true, force: true });
  }
}

/** Make `path` vanish atomically (rename to a hidden trash name beside it), then delete it. */
export function discardTree(path: string): void {
  const trash = join(dirname(path), `.trash-${basename(path)}-${randomBytes(4).toString('hex')}`);
  try {
    renameSync(path, trash);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  removeTree(trash);
}
