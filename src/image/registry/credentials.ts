// `skiff login` credentials: <store>/auth.json, mode 0600, Docker's config.json shape
//   { "auths": { "<registry host>": { "auth": base64("user:password") } } }
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { storePaths } from '../../state/paths.js';
import { readJsonIfExists, writeFileAtomic } from '../../state/atomic.js';
import { SkiffError } from '../../errors.js';

export interface Credentials { username: string; password: string }
interface AuthFile { auths: Record<string, { auth: string }> }

export function authFilePath(): string {
  return join(storePaths().data, 'auth.json');
}

function read(): AuthFile {
  const f = readJsonIfExists<AuthFile>(authFilePath());
  return f && typeof f.auths === 'object' ? f : { auths: {} };
}

function write(f: AuthFile): void {
  writeFileAtomic(authFilePath(), JSON.stringify(f, null, 2) + '\n', 0o600);
  chmodSync(authFilePath(), 0o600);
}

export function getCredentials(host: string): Credentials | undefined {
  const e = read().auths[host];
  if (!e?.auth) return undefined;
  const text = Buffer.from(e.auth, 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i < 0) throw new SkiffError('EAUTH', `credentials for ${host} in ${authFilePath()} are malformed`, `run \`skiff login ${host}\` again`);
  return { username: text.slice(0, i), password: text.slice(i + 1) };
}

export function saveCredentials(host: string, c: Credentials): void {
  const f = read();
  f.auths[host] = { auth: Buffer.from(`${c.username}:${c.password}`).toString('base64') };
  write(f);
}

/** True when there was something to remove. */
export function removeCredentials(host: string): boolean {
  if (!existsSync(authFilePath())) return false;
  const f = read();
  if (!f.auths[host]) return false;
  delete f.auths[host];
  write(f);
  return true;
}
