// Attacks on the store and the run directory, as another local user would try them (issue #10, items
// 2–4): a setuid file planted by a container and run from the host, secrets read from records and
// logs, an old (0755/0644) store, and a run directory planted before the victim's first `skiff`.
// Root and rootless; the "other user" is skiff-nosub, the victim of the rootless cases skiff-test.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { itWhen, needRoot, needUserns } from '../helpers/conditions.js';
import { skiff, skiffAs, tempStore, type Store } from '../helpers/skiff.js';
import { ensureTestUser, runAs, type TestUser } from '../helpers/users.js';
import { userStore } from '../helpers/engine.js';
import { processStartTime } from '../../src/kernel/process-identity.js';

const mode = (p: string): number => statSync(p).mode & 0o7777;
const PLANT = 'cp /hostbin/id /id && chmod 4755 /id && cp /hostbin/id /v/id && chmod 4755 /v/id && echo $SECRET';

let other: TestUser;
beforeAll(() => {
  if (process.getuid?.() === 0) other = ensureTestUser(false);
});

/** What `other` gets from running each planted file and from reading the store (all of it, and each record by path). */
function asOther(root: string, planted: string[]): { euids: string[]; grep: string; names: number | null } {
  const euids = planted.map((p) => {
    // Through a shell that is already the other user: setpriv itself opens the program it is given
    // before it drops root, which would walk past the store's 0700 directories.
    const r = runAs(other, 'sh', ['-c', '"$0" -u', p]);
    return r.status === 0 ? r.stdout.trim() : `denied: ${r.stderr.trim()}`;
  });
  const records = existsSync(join(root, 'containers'))
    ? readdirSync(join(root, 'containers')).flatMap((id) => ['config.json', `${id}-json.log`].map((f) => join(root, 'containers', id, f)))
    : [];
  const grep = runAs(other, 'sh', ['-c', 'grep -rs hunter2 "$@"; cat "$@" 2>/dev/null | grep -o hunter2', 'sh', root, ...records]).stdout;
  const names = runAs(other, 'ls', [join(root, 'container-names')]).status;
  return { euids, grep, names };
}

const containerIds = (root: string): string[] => readdirSync(join(root, 'containers')).filter((n) => /^[0-9a-f]{64}$/.test(n));

function killHolder(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8').split(' ')[0]), 'SIGKILL');
  } catch {
    // gone already
  }
}

function plantedPaths(root: string, id: string): string[] {
  return [join(root, 'containers', id, 'upper', 'id'), join(root, 'volumes', 'plantvol', '_data', 'id')];
}

const BAD_INPUTS: Array<[string[], RegExp]> = [
  [['-v', '/tmp:/'], /^skiff: invalid volume specification: '\/tmp:\/': invalid mount config for type "bind": invalid specification: destination can't be '\/'/],
  [['--hostname', 'h'.repeat(64)], /^skiff: invalid hostname "h+…": longer than 63 characters/],
  [['--hostname', 'evil\n10.0.0.1 bank'], /^skiff: invalid hostname "evil\\n10\.0\.0\.1 bank"/],
  [['--name', 'n'.repeat(300)], /^skiff: Invalid container name \(n+…\), at most 253 characters are allowed/],
];

/** Each bad flag: one line, exit 125, and no image pulled, no container made. */
function expectRefusedInputs(run: (args: string[]) => { status: number | null; stderr: string }, root: string): void {
  for (const [flags, message] of BAD_INPUTS) {
    const r = run(['run', ...flags, 'diamol/ch02-hello-diamol']);
    expect(r.status, r.stderr).toBe(125);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
  }
  expect(existsSync(join(root, 'containers')) ? containerIds(root) : []).toEqual([]);
  expect(existsSync(join(root, 'images')) ? readdirSync(join(root, 'images')) : []).toEqual([]);
}

describe('rootful store', () => {
  itWhen([needRoot], 'bad -v, --hostname and --name are refused when parsed: one line, exit 125, nothing pulled or created', () => {
    const s = tempStore('skiff-escape-input-');
    try {
      expectRefusedInputs((args) => skiff(args, { env: s.env }), s.root);
    } finally {
      s.dispose();
    }
  }, 60_000);

  let store: Store;
  beforeAll(() => {
    store = tempStore('skiff-escape-');
  });
  afterAll(() => store?.dispose());

  itWhen([needRoot], 'a setuid-root file planted by a container cannot be run by another user; records, logs and names are unreadable', () => {
    const r = skiff(['run', '-e', 'SECRET=hunter2', '-v', 'plantvol:/v', '-v', '/usr/bin:/hostbin:ro', 'diamol/base', 'sh', '-c', PLANT], { env: store.env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('hunter2');
    const id = containerIds(store.root)[0]!;
    for (const p of plantedPaths(store.root, id)) expect(mode(p)).toBe(0o4755); // the plant worked: the wall is the store
    // A detached one too, for its json-file log and exit file (written by the supervisor).
    const d = skiff(['run', '-d', '-e', 'SECRET=hunter2', 'diamol/base', 'sh', '-c', 'echo $SECRET'], { env: store.env });
    expect(d.status, d.stderr).toBe(0);
    const logged = d.stdout.trim();
    const exitFile = join(store.root, 'containers', logged, 'exit');
    for (let i = 0; i < 100 && !existsSync(exitFile); i++) spawnSync('sleep', ['0.1']);
    const seen = asOther(store.root, plantedPaths(store.root, id));
    for (const e of seen.euids) expect(e).toMatch(/^denied: .*Permission denied/);
    expect(seen.grep).toBe('');
    expect(seen.names).not.toBe(0);
    const c = join(store.root, 'containers', id);
    expect([mode(store.root), mode(c), mode(join(store.root, 'container-names')), mode(join(store.root, 'volumes', 'plantvol'))]).toEqual([0o700, 0o700, 0o700, 0o700]);
    const l = join(store.root, 'containers', logged);
    expect([mode(join(c, 'config.json')), mode(join(c, 'state.json')), mode(join(l, `${logged}-json.log`)), mode(exitFile)]).toEqual([0o600, 0o600, 0o600, 0o600]);
    // What containers read through their mounts keeps its mode: "/" and a volume's root.
    expect([mode(join(c, 'upper')), mode(join(store.root, 'volumes', 'plantvol', '_data'))]).toEqual([0o755, 0o755]);
  }, 60_000);

  itWhen([needRoot], 'a store from before (0755 dirs, 0644 records) is closed on first use', () => {
    const id = containerIds(store.root).find((i) => existsSync(join(store.root, 'containers', i, `${i}-json.log`)))!;
    const c = join(store.root, 'containers', id);
    for (const d of [store.root, join(store.root, 'containers'), join(store.root, 'container-names'), join(store.root, 'volumes'), join(store.root, 'volumes', 'plantvol')]) chmodSync(d, 0o755);
    chmodSync(c, 0o711);
    for (const f of ['config.json', 'state.json', `${id}-json.log`, 'exit']) chmodSync(join(c, f), 0o644);
    expect(asOther(store.root, []).grep).toContain('hunter2'); // the old layout leaks
    const ps = skiff(['ps', '-a'], { env: store.env });
    expect(ps.status, ps.stderr).toBe(0);
    expect([mode(store.root), mode(c), mode(join(c, 'config.json')), mode(join(c, `${id}-json.log`)), mode(join(store.root, 'volumes', 'plantvol'))]).toEqual([0o700, 0o700, 0o600, 0o600, 0o700]);
    expect(asOther(store.root, []).grep).toBe('');
  }, 30_000);

  itWhen([needRoot], 'a run directory that another user made first, or a symlink, is refused with one line and exit 1 (the exit status of a failing verb other than run/create)', () => {
    const s = tempStore('skiff-escape-run-');
    try {
      mkdirSync(join(s.root, 'run'), { mode: 0o755 });
      chownSync(join(s.root, 'run'), other.uid, other.gid);
      const r = skiff(['ps'], { env: s.env });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toMatch(new RegExp(`^skiff: refusing to use ${s.root}/run: the run directory belongs to uid ${other.uid}, not to you \\(uid 0\\)`));
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      rmSync(join(s.root, 'run'), { recursive: true });
      const elsewhere = mkdtempSync('/tmp/skiff-escape-target-');
      try {
        spawnSync('ln', ['-s', elsewhere, join(s.root, 'run')]);
        const l = skiff(['ps'], { env: s.env });
        expect(l.status).toBe(1);
        expect(l.stderr).toContain('the run directory is a symlink');
        expect(readdirSync(elsewhere)).toEqual([]);
      } finally {
        rmSync(elsewhere, { recursive: true, force: true });
      }
    } finally {
      rmSync(join(s.root, 'run'), { force: true, recursive: true });
      s.dispose();
    }
  }, 30_000);
});

describe('rootless store', () => {
  let victim: TestUser;
  let store: Store;
  beforeAll(() => {
    if (process.getuid?.() !== 0) return;
    victim = ensureTestUser(true);
    store = userStore(victim, 'skiff-escape-user-');
  });
  afterAll(() => store?.dispose());

  itWhen([needRoot, needUserns], 'a setuid file a rootless container plants cannot be run by another user; nothing of the store is readable', () => {
    const r = skiffAs(victim, ['run', '-e', 'SECRET=hunter2', '-v', 'plantvol:/v', '-v', '/usr/bin:/hostbin:ro', 'diamol/base', 'sh', '-c', PLANT], store.env);
    expect(r.status, r.stderr).toBe(0);
    const id = containerIds(store.root)[0]!;
    const planted = plantedPaths(store.root, id);
    for (const p of planted) expect(statSync(p).uid).toBe(victim.uid);
    const seen = asOther(store.root, planted);
    for (const e of seen.euids) expect(e).toMatch(/^denied: .*Permission denied/);
    expect(seen.grep).toBe('');
    expect(seen.names).not.toBe(0);
    expect([mode(store.root), mode(join(store.root, 'run')), mode(join(store.root, 'containers', id, 'config.json'))]).toEqual([0o700, 0o700, 0o600]);
  }, 90_000);

  itWhen([needRoot, needUserns], 'bad -v, --hostname and --name are refused when parsed (rootless): one line, exit 125, nothing created', () => {
    const s = userStore(victim, 'skiff-escape-input-');
    try {
      expectRefusedInputs((args) => skiffAs(victim, args, s.env), s.root);
    } finally {
      s.dispose();
    }
  }, 60_000);

  itWhen([needRoot, needUserns], 'the default data dir (~/.local/share/skiff or $XDG_DATA_HOME/skiff) is created 0700', () => {
    const base = mkdtempSync('/tmp/skiff-escape-xdg-');
    chmodSync(base, 0o755);
    chownSync(base, victim.uid, victim.gid);
    const env = { XDG_DATA_HOME: join(base, 'data'), XDG_RUNTIME_DIR: join(base, 'rt') };
    try {
      runAs(victim, 'mkdir', ['-m', '0700', env.XDG_RUNTIME_DIR]);
      const r = skiffAs(victim, ['volume', 'create', 'v1'], env);
      expect(r.status, r.stderr).toBe(0);
      expect([mode(join(base, 'data', 'skiff')), mode(join(base, 'rt', 'skiff')), mode(join(base, 'data', 'skiff', 'volumes', 'v1'))]).toEqual([0o700, 0o700, 0o700]);
    } finally {
      killHolder(join(base, 'rt', 'skiff', 'engine.pid'));
      rmSync(base, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('planted run directory (rootless)', () => {
  // The victim's own sandbox: a user+mount namespace of the victim's where `node` is something else
  // (think of a flatpak or a podman pause process). A pid file naming it must never be joined.
  let victim: TestUser;
  let work: string;
  let sandbox: ChildProcess | undefined;
  let node: string;

  beforeAll(async () => {
    if (process.getuid?.() !== 0) return;
    victim = ensureTestUser(true);
    node = spawnSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).stdout.trim();
    work = mkdtempSync('/tmp/skiff-escape-plant-');
    chmodSync(work, 0o755);
    chownSync(work, victim.uid, victim.gid);
    writeFileSync(join(work, 'fake-node'), `#!/bin/sh\necho pwned > ${work}/marker\n`, { mode: 0o755 });
    sandbox = spawn('setpriv', [`--reuid=${victim.uid}`, `--regid=${victim.gid}`, '--init-groups', '--', 'unshare', '-Urmn', '--propagation', 'private',
      'sh', '-c', `mount --bind ${work}/fake-node ${node} && echo ready && exec sleep 120`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      sandbox!.stdout!.once('data', () => resolve());
      sandbox!.once('exit', (c) => reject(new Error(`sandbox exited ${c}`)));
    });
  });
  afterAll(() => {
    sandbox?.kill('SIGKILL');
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const pidLine = (): string => `${sandbox!.pid} ${processStartTime(sandbox!.pid!)}\n`;

  itWhen([needRoot, needUserns], 'another user\'s /tmp/skiff-run-<uid> is refused: no namespace joined, no node run from it', () => {
    const run = `/tmp/skiff-run-${victim.uid}`;
    rmSync(run, { recursive: true, force: true });
    const data = join(work, 'data');
    try {
      // The attacker got there first: a world-readable run dir of theirs, with a pid file naming the sandbox.
      expect(runAs(other, 'sh', ['-c', `mkdir -m 0755 ${run} && printf '%s' "$1" > ${run}/engine.pid`, 'sh', pidLine()]).status).toBe(0);
      const r = skiffAs(victim, ['ps'], { XDG_DATA_HOME: data });
      expect(existsSync(join(work, 'marker'))).toBe(false);
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`skiff: refusing to use ${run}: the run directory belongs to uid ${other.uid}, not to you (uid ${victim.uid}). remove it (or set XDG_RUNTIME_DIR to a directory of your own) and try again`);
    } finally {
      rmSync(run, { recursive: true, force: true });
    }
  }, 60_000);

  itWhen([needRoot, needUserns], 'a pid file in the victim\'s own run dir naming a process that is not skiff\'s holder is not joined', () => {
    const s = userStore(victim, 'skiff-escape-pid-');
    try {
      runAs(victim, 'sh', ['-c', `mkdir -m 0700 ${s.root}/run && printf '%s' "$1" > ${s.root}/run/engine.pid`, 'sh', pidLine()]);
      const r = skiffAs(victim, ['ps'], s.env);
      expect(existsSync(join(work, 'marker'))).toBe(false);
      expect(r.status, r.stderr).toBe(0);
      const [pid] = readFileSync(join(s.root, 'run', 'engine.pid'), 'utf8').split(' ');
      expect(Number(pid)).not.toBe(sandbox!.pid); // a real holder replaced it
    } finally {
      s.dispose();
    }
  }, 60_000);
});
