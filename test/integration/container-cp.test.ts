// `skiff cp` root and rootless: the attack first — a container whose root holds `/evil -> /` and
// `/evil2 -> ../../../../tmp` must keep every copy, in and out, running or stopped, inside itself —
// then Docker's path rules, `-` tar streams, `-a` ownership and Docker's errors and exit codes.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { itWhen, needRoot, needUserns } from '../helpers/conditions.js';
import { SKIFF, tempStore, type Store } from '../helpers/skiff.js';
import { ensureTestUser, type TestUser } from '../helpers/users.js';
import { userStore } from '../helpers/engine.js';

interface Caller { name: string; store: Store; prefix: string[]; work: string; user?: TestUser }

function sk(c: Caller, args: string[], input?: string | Buffer) {
  const [cmd, ...rest] = [...c.prefix, SKIFF, ...args];
  return spawnSync(cmd!, rest, { env: { ...process.env, SKIFF_ROOT: c.store.root }, input, timeout: 120_000, maxBuffer: 64 << 20 });
}
const out = (r: ReturnType<typeof sk>) => r.stdout.toString();
const err = (r: ReturnType<typeof sk>) => r.stderr.toString();

const callers: Caller[] = [];
const cleanups: string[] = [];
beforeAll(() => {
  const rootStore = tempStore('skiff-cp-');
  callers.push({ name: 'root', store: rootStore, prefix: [], work: mkdtempSync('/tmp/skiff-cp-work-') });
  if (needRoot() === undefined && needUserns() === undefined) {
    const user = ensureTestUser(true);
    const s = userStore(user, 'skiff-cp-user-');
    const work = mkdtempSync('/tmp/skiff-cp-work-');
    chownSync(work, user.uid, user.gid);
    callers.push({
      name: 'rootless', store: s, work, user,
      prefix: ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', 'env', '-i', `PATH=${process.env.PATH}`, `HOME=${user.home}`, `USER=${user.name}`, 'LANG=C.UTF-8'],
    });
  }
  for (const c of callers) cleanups.push(c.work);
}, 60_000);
afterAll(() => {
  for (const c of callers) c.store.dispose();
  for (const w of cleanups) rmSync(w, { recursive: true, force: true });
});

const modes = ['root', 'rootless'] as const;
const caller = (m: string) => callers.find((c) => c.name === m)!;
const conds = (m: string) => (m === 'root' ? [needRoot] : [needRoot, needUserns]);

/** A file the caller may write in its work dir (owned by the test user when rootless). */
function hostFile(c: Caller, name: string, content: string): string {
  const p = join(c.work, name);
  writeFileSync(p, content);
  if (c.user) chownSync(p, c.user.uid, c.user.gid);
  return p;
}

/** Host canaries the attack would reach: /tmp/<name> (through /evil/tmp or /evil2). */
function canary(): { name: string; path: string } {
  const name = `skiff-cp-canary-${randomBytes(4).toString('hex')}`;
  const path = join('/tmp', name);
  writeFileSync(path, 'HOST\n');
  cleanups.push(path);
  return { name, path };
}

const EVIL = (n: string) => `ln -s / /evil && ln -s ../../../../tmp /evil2 && mkdir -p /tmp && echo CONTAINER > /tmp/${n}`;

describe.each(modes)('cp stays inside the container (%s)', (mode) => {
  for (const state of ['stopped', 'running'] as const) {
    itWhen(conds(mode), `${state}: symlinks to / and ../../.. lead to the container's root, in and out`, () => {
      const c = caller(mode);
      const k = canary();
      const cmd = state === 'running' ? `${EVIL(k.name)} && sleep 300` : EVIL(k.name);
      const name = `evil-${state}-${randomBytes(3).toString('hex')}`;
      const r = sk(c, ['run', ...(state === 'running' ? ['-d'] : []), '--network', 'none', '--name', name, 'diamol/base', 'sh', '-c', cmd]);
      expect(r.status, err(r)).toBe(0);
      if (state === 'running') {
        for (let i = 0; i < 50 && sk(c, ['exec', name, 'test', '-e', `/tmp/${k.name}`]).status !== 0; i++) spawnSync('sleep', ['0.1']);
      }
      // Out: both links resolve to the container's /tmp.
      for (const p of [`/evil/tmp/${k.name}`, `/evil2/${k.name}`, `/evil2/../../../../tmp/${k.name}`]) {
        const got = sk(c, ['cp', `${name}:${p}`, '-']);
        expect(got.status, err(got)).toBe(0);
        expect(out(got)).toContain('CONTAINER\n');
        expect(out(got)).not.toContain('HOST');
      }
      // In: a file and a directory through each link land in the container, never on the host.
      const f = hostFile(c, `in-${k.name}`, 'copied\n');
      for (const dest of [`${name}:/evil/tmp/`, `${name}:/evil2/`, `${name}:/evil/etc/../tmp/${k.name}`]) {
        const w = sk(c, ['cp', f, dest]);
        expect(w.status, err(w)).toBe(0);
      }
      expect(readFileSync(k.path, 'utf8')).toBe('HOST\n');
      expect(existsSync(join('/tmp', `in-${k.name}`))).toBe(false);
      const back = sk(c, ['cp', `${name}:/tmp/${k.name}`, '-']);
      expect(out(back)).toContain('copied\n');
      // A tar on stdin that makes its own link to / and writes through it stays inside too.
      const tar = spawnSync('sh', ['-c', `d=$(mktemp -d) && cd $d && ln -s / up && mkdir -p x && echo tarred > x/f && tar -c up x && rm -rf $d`], { maxBuffer: 1 << 20 });
      const t = sk(c, ['cp', '-', `${name}:/evil/tmp`], tar.stdout);
      expect(t.status, err(t)).toBe(0);
      expect(existsSync('/up') && lstatSync('/up').isSymbolicLink() && !existsSync('/x/f')).toBe(false);
      expect(out(sk(c, ['cp', `${name}:/tmp/x/f`, '-']))).toContain('tarred\n');
      // `..` in a tar name is refused, nothing written.
      const bad = spawnSync('sh', ['-c', 'python3 -c "import tarfile,io,sys; b=io.BytesIO(); t=tarfile.open(fileobj=b,mode=\'w\'); i=tarfile.TarInfo(\'../../../tmp/' + k.name + '\'); d=b\'PWNED\\n\'; i.size=len(d); t.addfile(i, io.BytesIO(d)); t.close(); sys.stdout.buffer.write(b.getvalue())"']);
      const refused = sk(c, ['cp', '-', `${name}:/tmp`], bad.stdout);
      expect(refused.status).toBe(1);
      expect(err(refused)).toContain('points outside the destination');
      expect(readFileSync(k.path, 'utf8')).toBe('HOST\n');
      sk(c, ['rm', '-f', name]);
    }, 120_000);
  }
});

describe.each(modes)('cp follows Docker\'s rules (%s)', (mode) => {
  itWhen(conds(mode), 'directories, contents with /., -L, -a, tar streams, and Docker\'s errors', () => {
    const c = caller(mode);
    const name = `rules-${randomBytes(3).toString('hex')}`;
    expect(sk(c, ['create', '--network', 'none', '--name', name, 'diamol/base', 'true']).status).toBe(0);
    const src = join(c.work, 'tree');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'sub', 'file'), 'data\n');
    spawnSync('ln', ['-s', 'sub/file', join(src, 'link')]);
    spawnSync('chown', ['-R', '-h', c.user ? `${c.user.uid}:${c.user.gid}` : '1234:2345', src]);
    // A directory into an existing directory keeps its name; with -a its owners.
    let r = sk(c, ['cp', '-a', src, `${name}:/opt`]);
    expect(r.status, err(r)).toBe(0);
    r = sk(c, ['container', 'cp', src + '/.', `${name}:/srv`]);
    expect(r.status, err(r)).toBe(0);
    const dst = join(c.work, 'out');
    mkdirSync(dst);
    if (c.user) chownSync(dst, c.user.uid, c.user.gid);
    r = sk(c, ['cp', '-a', `${name}:/opt/tree`, dst]);
    expect(r.status, err(r)).toBe(0);
    expect(readFileSync(join(dst, 'tree', 'sub', 'file'), 'utf8')).toBe('data\n');
    expect(lstatSync(join(dst, 'tree', 'link')).isSymbolicLink()).toBe(true);
    // With -a the owners came along both ways (rootless: the user's own id is the container's 0 and back).
    const owner = statSync(join(dst, 'tree', 'sub', 'file'));
    expect(owner.uid).toBe(c.user ? c.user.uid : 1234);
    // Without -a what lands in the container is root's: copy it out as a tar and read the header.
    const list = spawnSync('tar', ['-tvn'], { input: sk(c, ['cp', `${name}:/srv/sub/file`, '-']).stdout });
    expect(list.stdout.toString()).toMatch(/^-rw\S+ 0\/0 /);
    // /. copies the contents: /srv/sub, not /srv/tree.
    expect(sk(c, ['cp', `${name}:/srv/tree`, '-']).status).toBe(1);
    // -L copies what a link points at; without it the link itself.
    r = sk(c, ['cp', '-L', `${name}:/opt/tree/link`, join(dst, 'followed')]);
    expect(r.status, err(r)).toBe(0);
    expect(readFileSync(join(dst, 'followed'), 'utf8')).toBe('data\n');
    r = sk(c, ['cp', `${name}:/opt/tree/link`, join(dst, 'kept')]);
    expect(lstatSync(join(dst, 'kept')).isSymbolicLink()).toBe(true);
    // Errors as Docker words them, exit status 1.
    const missing = sk(c, ['cp', `${name}:/no/such`, dst]);
    expect(missing.status).toBe(1);
    expect(err(missing)).toContain(`Could not find the file /no/such in container ${name}`);
    const noParent = sk(c, ['cp', join(src, 'sub', 'file'), `${name}:/no/such/x`]);
    expect(noParent.status).toBe(1);
    expect(err(noParent)).toContain(`Could not find the file /no/such in container ${name}`);
    const nobody = sk(c, ['cp', 'no-such-container-x:/etc', dst]);
    expect(nobody.status).toBe(1);
    expect(err(nobody)).toContain('No such container: no-such-container-x');
    const both = sk(c, ['cp', `${name}:/a`, `${name}:/b`]);
    expect(both.status).toBe(1);
    expect(err(both)).toContain('copying between containers is not supported');
    const dirOverFile = sk(c, ['cp', src, `${name}:/etc/passwd`]);
    expect(dirOverFile.status).toBe(1);
    // The container's own files are intact and it still runs.
    const run = sk(c, ['start', '-a', name]);
    expect(run.status, err(run)).toBe(0);
    sk(c, ['rm', '-f', name]);
  }, 120_000);
});
