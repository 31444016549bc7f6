// The one door through which skiff touches cgroup files: every write is traced (with its why) and
// every failure becomes an ECGROUP error that names the file, the value and the errno.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';

export function readCgroupFile(dir: string, file: string): string | undefined {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch {
    return undefined; // controller not enabled here, or the cgroup is gone
  }
}

export function readCgroupNumber(dir: string, file: string): number | undefined {
  const s = readCgroupFile(dir, file)?.trim();
  if (s === undefined || s === '' || s === 'max') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** "key value" lines (cpu.stat, memory.stat, memory.events, pids.events) → record. */
export function readKeyed(dir: string, file: string): Record<string, number> | undefined {
  const text = readCgroupFile(dir, file);
  if (text === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

export function readWords(dir: string, file: string): string[] {
  return (readCgroupFile(dir, file) ?? '').split(/\s+/).filter(Boolean);
}

export function cgroupFileExists(dir: string, file: string): boolean {
  return existsSync(join(dir, file));
}

/**
 * Write one value to one cgroup file. The kernel parses it; its errno says what it disliked
 * (EINVAL: bad value, EBUSY: no-internal-process rule, ENOENT: controller not enabled, EACCES: not delegated).
 */
export function writeCgroupFile(dir: string, file: string, value: string, why: string): void {
  const path = join(dir, file);
  trace.step('cgroup', `echo ${JSON.stringify(value)} > ${path}`, why);
  try {
    writeFileSync(path, value);
  } catch (e) {
    throw cgroupWriteError(path, value, e);
  }
}

export function cgroupWriteError(path: string, value: string, e: unknown): SkiffError {
  const code = (e as NodeJS.ErrnoException)?.code ?? 'EIO';
  const hint =
    code === 'EACCES' || code === 'EPERM'
      ? 'this cgroup is not delegated to you: run skiff as root, or inside a delegated scope (systemd-run --user --scope -p Delegate=yes skiff …)'
      : code === 'EINVAL' || code === 'ERANGE'
        ? 'the kernel refused the value: check the flag'
        : code === 'ENOENT'
          ? 'the controller behind this file is not enabled for this cgroup: see `skiff doctor`'
          : code === 'EBUSY'
            ? 'the cgroup has processes of its own, so it cannot hand controllers to children (cgroup v2 "no internal processes" rule)'
            : 'see `skiff doctor`';
  return new SkiffError('ECGROUP', `cannot write ${JSON.stringify(value)} to ${path}: ${code}`, hint, { cause: e });
}

/** A container id becomes a directory name: nothing that could climb out of skiff's parent. */
export function checkCgroupName(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id)) {
    throw new SkiffError('EINTERNAL', `invalid container id for a cgroup name: ${JSON.stringify(id)}`, 'this is a bug in skiff: please report it');
  }
}
