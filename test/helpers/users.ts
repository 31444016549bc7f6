// The unprivileged user the suite runs rootless tests as. Created on first use (as root) with a
// subordinate id range, like `useradd` gives a real user on Debian; a second user gets none, to
// test the single-id fallback.
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync, appendFileSync, mkdirSync, chownSync } from 'node:fs';

export interface TestUser { name: string; uid: number; gid: number; home: string }

export const RANGE_USER = 'skiff-test';
export const NORANGE_USER = 'skiff-nosub';

function lookup(name: string): TestUser | undefined {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) return undefined;
  const f = line.split(':');
  return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

function ensureSubIds(name: string, start: number): void {
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    const text = readFileSync(file, 'utf8');
    if (!text.split('\n').some((l) => l.startsWith(`${name}:`))) appendFileSync(file, `${name}:${start}:65536\n`);
  }
}

function removeSubIds(name: string): void {
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    const text = readFileSync(file, 'utf8');
    const kept = text.split('\n').filter((l) => !l.startsWith(`${name}:`)).join('\n');
    if (kept !== text) execFileSync('sh', ['-c', `printf '%s' "$1" > ${file}`, 'sh', kept]);
  }
}

/** The rootless test user; `withRange: false` gives one with no /etc/subuid entry. */
export function ensureTestUser(withRange = true): TestUser {
  const name = withRange ? RANGE_USER : NORANGE_USER;
  let u = lookup(name);
  if (!u) {
    execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', name], { stdio: 'ignore' });
    u = lookup(name)!;
  }
  if (withRange) ensureSubIds(name, 3_000_000);
  else removeSubIds(name);
  mkdirSync(u.home, { recursive: true });
  chownSync(u.home, u.uid, u.gid);
  return u;
}

/** Run a command as the user, with a clean environment like a login would give. */
export function runAs(user: TestUser, cmd: string, args: string[], env: Record<string, string> = {}, input?: string): SpawnSyncReturns<string> {
  return spawnSync('setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', cmd, ...args], {
    encoding: 'utf8',
    input,
    env: { PATH: process.env.PATH!, HOME: user.home, USER: user.name, LANG: 'C.UTF-8', ...env },
    timeout: 120_000,
  });
}
