// One write of a config.json resource into a cgroup file, for both hierarchies: traced with the setting it
// comes from, and a refusal becomes ECGROUP naming the setting, the value, the file and what to do — the
// hint differs by hierarchy (a v1 file the kernel lacks vs a v2 controller not enabled), so callers give it.
import { writeFileSync } from 'node:fs';
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';

export interface WriteHints { missingWhy: string; missingHint: string; otherHint: string }

export function writeResource(path: string, value: string, key: string, hints: WriteHints): void {
  try {
    trace.step('cgroup', `write ${path} = ${value}`, `linux.resources.${key}`);
    writeFileSync(path, value);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    const missing = code === 'ENOENT';
    throw new SkiffError('ECGROUP', `linux.resources.${key}: cannot write ${value.trim()} to ${path}: ${missing ? hints.missingWhy : code}`,
      missing ? hints.missingHint : hints.otherHint);
  }
}
