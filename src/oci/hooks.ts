// OCI hooks: programs config.json names for points of a container's life. Each gets the container's
// state as JSON on stdin, its own args (args[0] is argv[0]) and env, and an optional timeout; a
// failing hook fails the verb, except poststart and poststop, which only warn (runtime-spec).
import { spawnSync } from 'node:child_process';
import { writeSync } from 'node:fs';
import { SkiffError } from '../errors.js';
import type { OciHook, OciState } from './spec.js';

export function runHooks(kind: string, hooks: OciHook[] | undefined, state: OciState, fatal = true): void {
  for (const h of hooks ?? []) {
    const [argv0, ...rest] = h.args?.length ? h.args : [h.path];
    const r = spawnSync(h.path, rest, {
      argv0, env: Object.fromEntries((h.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
      input: JSON.stringify(state), stdio: ['pipe', 'ignore', 'pipe'], timeout: h.timeout ? h.timeout * 1000 : undefined,
    });
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : r.status !== 0 ? `exit status ${r.status}: ${r.stderr?.toString().trim()}` : '';
    if (!why) continue;
    const err = new SkiffError('ELAUNCH', `${kind} hook ${h.path} failed: ${why}`, 'fix the hook or remove it from config.json');
    if (fatal) throw err;
    writeSync(2, `skiff-oci: warning: ${err.message}\n`);
  }
}
