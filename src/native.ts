// Where the project's own files are at run time: the native helpers built from native-bindings/,
// and the lab images built from rootfs/. Works from the bundle (dist/) and from sources (vitest).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SkiffError } from './errors.js';

let root: string | undefined;

export function projectRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new SkiffError('ENATIVE', 'cannot find the skiff installation directory', 'reinstall skiff');
    dir = up;
  }
  root = dir;
  return dir;
}

/** Path of a native helper (skiff-runtime, skiff-shim …); throws a clear error if it was never built. */
export function nativeBinary(name: string): string {
  const dir = process.env.SKIFF_NATIVE_DIR ?? join(projectRoot(), 'native-bindings', 'build');
  const path = join(dir, name);
  if (!existsSync(path)) {
    throw new SkiffError('ENATIVE', `native helper ${name} is missing (${path})`, 'build it with `npm run build:native` (needs gcc and make)');
  }
  return path;
}
