// The layer cache, keyed as Docker's classic builder keys it, root and rootless: an unchanged rebuild
// is `---> Using cache` at every step and the same image id; a changed file invalidates from its COPY
// on; a changed --build-arg from the first step that sees it; --no-cache runs everything. Also the
// context from stdin (`build -`: a Dockerfile, or a tar with -f naming a file inside it) and --label.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needRoot, needUserns } from '../helpers/conditions.js';
import { SKIFF, tempStore, type Store } from '../helpers/skiff.js';
import { ensureTestUser } from '../helpers/users.js';
import { userStore } from '../helpers/engine.js';

interface Caller { name: string; store: Store; prefix: string[]; ctx: string }
const callers: Caller[] = [];
const dirs: string[] = [];

function sk(c: Caller, args: string[], input?: string | Buffer) {
  const [cmd, ...rest] = [...c.prefix, SKIFF, ...args];
  return spawnSync(cmd!, rest, { encoding: 'utf8', env: { ...process.env, SKIFF_ROOT: c.store.root }, input, timeout: 240_000 });
}

const DOCKERFILE = [
  'FROM diamol/base',
  'ARG FLAVOUR=plain',
  'ENV APP=/app',
  'RUN mkdir -p /app && echo "$FLAVOUR" > /app/flavour',
  'COPY a.txt /app/',
  'RUN cat /app/a.txt > /app/copy.txt',
  'CMD ["cat", "/app/flavour", "/app/copy.txt"]',
].join('\n') + '\n';

function newContext(): string {
  const ctx = mkdtempSync('/tmp/skiff-cache-ctx-');
  dirs.push(ctx);
  chmodSync(ctx, 0o755);
  writeFileSync(join(ctx, 'Dockerfile'), DOCKERFILE);
  writeFileSync(join(ctx, 'a.txt'), 'one\n');
  return ctx;
}

beforeAll(() => {
  callers.push({ name: 'root', store: tempStore('skiff-cache-'), prefix: [], ctx: newContext() });
  if (needRoot() === undefined && needUserns() === undefined) {
    const user = ensureTestUser(true);
    const us = userStore(user, 'skiff-cache-user-');
    callers.push({ name: 'rootless', store: us, ctx: newContext(), prefix: ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', 'env', '-i', `PATH=${process.env.PATH}`, `HOME=${user.home}`, `USER=${user.name}`, `SKIFF_ROOT=${us.root}`] });
  }
}, 60_000);
afterAll(() => {
  for (const c of callers) c.store.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const conds = (mode: string) => (mode === 'root' ? [needRoot] : [needRoot, needUserns]);
const builtId = (out: string) => /Successfully built ([0-9a-f]{12})\n/.exec(out)?.[1];
/** Which steps (by number) printed "Using cache". */
const cachedSteps = (out: string) => [...out.matchAll(/Step (\d+)\/\d+ : [^\n]*\n ---> Using cache\n/g)].map((m) => Number(m[1]));

describe.each(['root', 'rootless'])('the build cache (%s)', (mode) => {
  const caller = () => callers.find((c) => c.name === mode)!;

  itWhen(conds(mode), 'an unchanged rebuild uses the cache at every step and gives the same image id', () => {
    const c = caller();
    const first = sk(c, ['build', '-t', 'lab/cached', c.ctx]);
    expect(first.status, first.stderr).toBe(0);
    expect(cachedSteps(first.stdout)).toEqual([]);
    const again = sk(c, ['build', '-t', 'lab/cached', c.ctx]);
    expect(again.status, again.stderr).toBe(0);
    expect(cachedSteps(again.stdout)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(again.stdout).not.toContain('Running in');
    expect(builtId(again.stdout)).toBe(builtId(first.stdout));
    expect(sk(c, ['run', '--rm', '--network', 'none', 'lab/cached']).stdout).toBe('plain\none\n');
  }, 240_000);

  itWhen(conds(mode), 'a changed file invalidates from its COPY on; a changed build arg from the first step that sees it', () => {
    const c = caller();
    writeFileSync(join(c.ctx, 'a.txt'), 'two\n');
    const changed = sk(c, ['build', '-t', 'lab/cached', c.ctx]);
    expect(changed.status, changed.stderr).toBe(0);
    expect(cachedSteps(changed.stdout)).toEqual([2, 3, 4]);
    expect(sk(c, ['run', '--rm', '--network', 'none', 'lab/cached']).stdout).toBe('plain\ntwo\n');
    // mtime alone does not count (Docker's checksum leaves it out)
    execFileSync('touch', ['-d', '2001-01-01', join(c.ctx, 'a.txt')]);
    expect(cachedSteps(sk(c, ['build', c.ctx]).stdout)).toEqual([2, 3, 4, 5, 6, 7]);
    const arg = sk(c, ['build', '--build-arg', 'FLAVOUR=spicy', '-t', 'lab/spicy', c.ctx]);
    expect(arg.status, arg.stderr).toBe(0);
    expect(cachedSteps(arg.stdout)).toEqual([]);
    expect(sk(c, ['run', '--rm', '--network', 'none', 'lab/spicy']).stdout).toBe('spicy\ntwo\n');
  }, 240_000);

  itWhen(conds(mode), '--no-cache runs every step', () => {
    const c = caller();
    const before = builtId(sk(c, ['build', c.ctx]).stdout);
    const fresh = sk(c, ['build', '--no-cache', c.ctx]);
    expect(fresh.status, fresh.stderr).toBe(0);
    expect(cachedSteps(fresh.stdout)).toEqual([]);
    expect((fresh.stdout.match(/Running in/g) ?? []).length).toBe(5);
    expect(builtId(fresh.stdout)).not.toBe(before);
  }, 240_000);

  itWhen(conds(mode), 'build - reads a Dockerfile or a tar context from stdin; --label adds a last LABEL step; -q prints the id', () => {
    const c = caller();
    const df = sk(c, ['build', '-t', 'lab/stdin', '--label', 'org.example.who=me $HOME', '-'], 'FROM diamol/base\nCMD ["echo", "from stdin"]\n');
    expect(df.status, df.stderr).toBe(0);
    expect(df.stdout).toContain('Step 3/3 : LABEL "org.example.who"="me \\$HOME"\n');
    expect(JSON.parse(sk(c, ['image', 'inspect', 'lab/stdin']).stdout)[0].Config.Labels).toEqual({ 'org.example.who': 'me $HOME' });
    const tar = execFileSync('tar', ['-czf', '-', '-C', c.ctx, '.']);
    writeFileSync(join(c.ctx, 'Other.dockerfile'), 'FROM diamol/base\nCOPY a.txt /\nCMD ["cat", "/a.txt"]\n');
    const withF = sk(c, ['build', '-q', '-f', 'Other.dockerfile', '-t', 'lab/tar', '-'], execFileSync('tar', ['-cf', '-', '-C', c.ctx, '.']));
    expect(withF.status, withF.stderr).toBe(0);
    expect(withF.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(sk(c, ['run', '--rm', '--network', 'none', 'lab/tar']).stdout).toBe('two\n');
    const gz = sk(c, ['build', '-'], tar);
    expect(gz.status, gz.stderr).toBe(0);
    expect(cachedSteps(gz.stdout)).toEqual([2, 3, 4, 5, 6, 7]);
  }, 240_000);
});
