// Small, explicit file-tree writers for populating a layer's staging directory. Modes are set
// with chmod after creation so the umask of whoever runs the build never leaks into an image.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directory holding the literal files the recipes put into images (cmd.sh, index.html, configs). */
export const FILES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'files');

export function readRecipeFile(name: string): string {
  return readFileSync(join(FILES_DIR, name), 'utf8');
}

/** mkdir -p with an explicit mode on every directory it creates or already finds inside root. */
export function dir(root: string, path: string, mode = 0o755): void {
  const full = join(root, path);
  mkdirSync(full, { recursive: true });
  chmodSync(full, mode);
}

export function file(root: string, path: string, content: string | Buffer, mode = 0o644): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content);
  chmodSync(full, mode);
}

export function copy(root: string, path: string, from: string, mode = 0o644): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  copyFileSync(from, full);
  chmodSync(full, mode);
}

export function symlink(root: string, path: string, target: string): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  symlinkSync(target, full);
}
