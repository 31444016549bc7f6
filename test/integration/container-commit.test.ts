// `skiff diff`, `export`, `commit` and `import`, root and rootless: Docker's A/C/D lines from the
// overlay upper dir (whiteouts as D, skiff's own mount points left out), an export that is the
// container's filesystem without its mounts, and images made from a container or a tar that run.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { itWhen, needRoot, needUserns } from '../helpers/conditions.js';
import { SKIFF, tempStore, type Store } from '../helpers/skiff.js';
import { ensureTestUser, type TestUser } from '../helpers/users.js';
import { userStore } from '../helpers/engine.js';

interface Caller { name: string; store: Store; prefix: string[]; work: string; user?: TestUser }

function sk(c: Caller, args: string[], input?: string | Buffer) {
  const [cmd, ...rest] = [...c.prefix, SKIFF, ...args];
  return spawnSync(cmd!, rest, { env: { ...process.env, SKIFF_ROOT: c.store.root }, input, timeout: 120_000, maxBuffer: 256 << 20 });
}
const out = (r: ReturnType<typeof sk>) => r.stdout.toString();
const err = (r: ReturnType<typeof sk>) => r.stderr.toString();

const callers: Caller[] = [];
beforeAll(() => {
  callers.push({ name: 'root', store: tempStore('skiff-commit-'), prefix: [], work: mkdtempSync('/tmp/skiff-commit-work-') });
  if (needRoot() === undefined && needUserns() === undefined) {
    const user = ensureTestUser(true);
    const work = mkdtempSync('/tmp/skiff-commit-work-');
    chownSync(work, user.uid, user.gid);
    callers.push({
      name: 'rootless', store: userStore(user, 'skiff-commit-user-'), work, user,
      prefix: ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', 'env', '-i', `PATH=${process.env.PATH}`, `HOME=${user.home}`, `USER=${user.name}`, 'LANG=C.UTF-8'],
    });
  }
}, 60_000);
afterAll(() => {
  for (const c of callers) {
    c.store.dispose();
    rmSync(c.work, { recursive: true, force: true });
  }
});

const modes = ['root', 'rootless'] as const;
const caller = (m: string) => callers.find((c) => c.name === m)!;
const conds = (m: string) => (m === 'root' ? [needRoot] : [needRoot, needUserns]);
const CHANGES = 'mkdir -p /a/b && echo x > /a/b/c && rm -rf /usr/share && echo extra >> /etc/passwd && rm /bin/ls';

describe.each(modes)('diff, export, commit, import (%s)', (mode) => {
  itWhen(conds(mode), 'diff lists A/C/D in Docker\'s order; /etc/hosts & co. are not changes', () => {
    const c = caller(mode);
    const name = `diff-${randomBytes(3).toString('hex')}`;
    // The default bridge: /etc/hosts, /etc/hostname, /etc/resolv.conf are bound in, as in Docker.
    const r = sk(c, ['run', '--name', name, 'diamol/base', 'sh', '-c', CHANGES]);
    expect(r.status, err(r)).toBe(0);
    const d = sk(c, ['diff', name]);
    expect(d.status, err(d)).toBe(0);
    // moby's walk: depth first, names in order; a copied-up /etc with its old times is no change itself.
    expect(out(d)).toBe(['A /a', 'A /a/b', 'A /a/b/c', 'C /bin', 'D /bin/ls', 'C /etc/passwd', 'C /usr', 'D /usr/share', ''].join('\n'));
    expect(sk(c, ['container', 'diff', name]).stdout.toString()).toBe(out(d));
    const none = sk(c, ['diff', 'no-such-container-y']);
    expect(none.status).toBe(1);
    expect(err(none)).toContain('No such container: no-such-container-y');
    sk(c, ['rm', '-f', name]);
  }, 120_000);

  itWhen(conds(mode), 'export is the filesystem with the changes; commit and import make images that run', () => {
    const c = caller(mode);
    const name = `commit-${randomBytes(3).toString('hex')}`;
    const tag = `committed-${mode}:v1`;
    expect(sk(c, ['run', '--network', 'none', '--name', name, 'diamol/base', 'sh', '-c', CHANGES]).status).toBe(0);
    const tar = join(c.work, 'export.tar');
    const e = sk(c, ['export', '-o', tar, name]);
    expect(e.status, err(e)).toBe(0);
    const list = spawnSync('tar', ['-tf', tar], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout.split('\n');
    expect(list).toContain('a/b/c');
    expect(list).toContain('bin/sh');
    expect(list).not.toContain('bin/ls');
    expect(list.some((l) => l.startsWith('usr/share/'))).toBe(false);
    expect(list.some((l) => l.startsWith('/') || l.startsWith('./'))).toBe(false);
    expect(spawnSync('tar', ['-xOf', tar, 'a/b/c'], { encoding: 'utf8' }).stdout).toBe('x\n');
    expect(sk(c, ['export', name]).stdout.length).toBeGreaterThan(1 << 20);

    // commit: -c, -m, -a; the image runs, with the changes (deletions included) and the new CMD.
    const cm = sk(c, ['commit', '-c', 'CMD ["cat", "/a/b/c"]', '-c', 'ENV FROM_COMMIT=yes', '-m', 'a message', '-a', 'Someone <s@example.com>', name, tag]);
    expect(cm.status, err(cm)).toBe(0);
    expect(out(cm)).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(out(sk(c, ['run', '--rm', '--network', 'none', tag]))).toBe('x\n');
    const inside = sk(c, ['run', '--rm', '--network', 'none', tag, 'sh', '-c', 'echo $FROM_COMMIT; tail -1 /etc/passwd; test -e /usr/share || echo no-share; test -e /bin/ls || echo no-ls']);
    expect(out(inside)).toBe('yes\nextra\nno-share\nno-ls\n');
    const insp = JSON.parse(out(sk(c, ['image', 'inspect', tag])))[0];
    expect(insp).toMatchObject({ Comment: 'a message', Author: 'Someone <s@example.com>' });
    expect(insp.Config.Cmd).toEqual(['cat', '/a/b/c']);
    const bad = sk(c, ['commit', '-c', 'RUN true', name]);
    expect(bad.status).toBe(1);
    expect(err(bad)).toContain('run is not a valid change command');

    // import: the export again, from a file and gzip'd on stdin, with --change and -m.
    const im = sk(c, ['import', '-c', 'CMD ["cat", "/a/b/c"]', '-m', 'imported', tar, `imported-${mode}`]);
    expect(im.status, err(im)).toBe(0);
    expect(out(sk(c, ['run', '--rm', '--network', 'none', `imported-${mode}`]))).toBe('x\n');
    const gz = spawnSync('gzip', ['-c', tar], { maxBuffer: 256 << 20 }).stdout;
    const im2 = sk(c, ['image', 'import', '-', `imported-${mode}:gz`], gz);
    expect(im2.status, err(im2)).toBe(0);
    expect(out(sk(c, ['run', '--rm', '--network', 'none', `imported-${mode}:gz`, 'cat', '/a/b/c']))).toBe('x\n');
    const missing = sk(c, ['import', join(c.work, 'nope.tar')]);
    expect(missing.status).toBe(1);
    sk(c, ['rm', '-f', name]);
  }, 240_000);
});
