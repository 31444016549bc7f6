// Inputs of `run`/`create` that end up in the kernel (sethostname), in the store (a names file) or in
// the mount plan, checked as soon as the flags are parsed: one line, exit 125, and nothing pulled,
// created or mounted. Without this a 64-character hostname failed late with a raw EINVAL from the
// launcher, a 256-character name with ENAMETOOLONG, and `-v X:/` reached the mount step.
import { SkiffError } from '../errors.js';
import { containerNameProblem } from '../state/names.js';
import { parseVolumeSpec } from '../volumes/spec.js';
import type { RunFlags } from './run-flags.js';

/** RFC 1123 label length: sethostname takes 64 bytes at most, DNS a 63-byte label. */
export const MAX_HOSTNAME_LENGTH = 63;
const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9_.-]*[a-zA-Z0-9])?$/;

export function hostnameProblem(h: string): string | undefined {
  const shown = JSON.stringify(h.length > 40 ? `${h.slice(0, 40)}…` : h);
  if (h.length > MAX_HOSTNAME_LENGTH) return `invalid hostname ${shown}: longer than ${MAX_HOSTNAME_LENGTH} characters`;
  if (!HOSTNAME.test(h)) return `invalid hostname ${shown}: use letters, digits, '-', '.' and '_', starting and ending with a letter or digit`;
  return undefined;
}

export function checkRunInputs(f: Pick<RunFlags, 'name' | 'hostname' | 'volume'>): void {
  const name = f.name === undefined ? undefined : containerNameProblem(f.name);
  if (name) throw new SkiffError('EINVALID', name, 'pick a name of letters, digits, _ . - starting with a letter or digit');
  const host = f.hostname === undefined ? undefined : hostnameProblem(f.hostname);
  if (host) throw new SkiffError('EUSAGE', host, 'pick a shorter host name');
  for (const v of f.volume ?? []) parseVolumeSpec(v);
}
