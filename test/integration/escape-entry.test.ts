// Attacks on the entry path: a process that enters a container (exec's child, run's init) must carry no
// host descriptor where the container can reach it, must not be openable through /proc/<pid>/fd while it
// is still the launcher, must resolve its working directory inside the root, and must not expose the host's
// runtime binary as its /proc/<pid>/exe. Each attack runs as root and as an ordinary user (rootless).
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { chownSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { itWhen, needCommand, needRoot, needUserns } from '../helpers/conditions.js';
import { SKIFF, skiff, skiffAs, tempStore, type Store } from '../helpers/skiff.js';
import { ensureTestUser, runAs, type TestUser } from '../helpers/users.js';
import { userStore } from '../helpers/engine.js';

type Sk = (...args: string[]) => ReturnType<typeof skiff>;

interface Mode { name: string; setup(): { sk: Sk; niceSk: Sk; user?: TestUser; env: Record<string, string>; dispose(): void } }

const modes: Mode[] = [
  {
    name: 'root',
    setup() {
      const s: Store = tempStore('skiff-escape-');
      const niceSk: Sk = (...a) => spawnSync('nice', ['-n', '19', SKIFF, ...a], { encoding: 'utf8', env: { ...process.env, ...s.env }, timeout: 60_000 });
      return { sk: (...a) => skiff(a, { env: s.env }), niceSk, env: s.env, dispose: () => s.dispose() };
    },
  },
  {
    name: 'rootless',
    setup() {
      const user = ensureTestUser(true);
      const s = userStore(user, 'skiff-escape-user-');
      const niceSk: Sk = (...a) => runAs(user, 'nice', ['-n', '19', SKIFF, ...a], s.env);
      return { sk: (...a) => skiffAs(user, a, s.env), niceSk, user, env: s.env, dispose: () => s.dispose() };
    },
  },
];

const UP = '../'.repeat(16);

/** A file on the host only root (or the rootless user) may read, with content no container can guess. */
function hostSecret(owner?: TestUser): { path: string; content: string; dispose(): void } {
  const path = `/tmp/skiff-secret-${randomBytes(6).toString('hex')}`;
  const content = `secret-${randomBytes(12).toString('hex')}`;
  writeFileSync(path, content, { mode: 0o600 });
  if (owner) chownSync(path, owner.uid, owner.gid);
  return { path, content, dispose: () => rmSync(path, { force: true }) };
}


for (const mode of modes) {
  const conds = mode.name === 'root' ? [needRoot] : [needRoot, needUserns, needCommand('newuidmap')];
  describe(`entry path escapes (${mode.name})`, () => {
    let ctx: ReturnType<Mode['setup']>;
    let id = '';
    beforeAll(() => {
      if (conds.some((c) => c())) return;
      ctx = mode.setup();
      const r = ctx.sk('run', '-d', 'diamol/base', 'sleep', '600');
      expect(r.status, r.stderr).toBe(0);
      id = r.stdout.trim();
    }, 120_000);
    afterAll(() => ctx?.dispose());

    itWhen(conds, 'exec -w /proc/self/fd/N cannot put the working directory on the host', () => {
      const target = `/tmp/skiff-escape-${randomBytes(6).toString('hex')}`;
      try {
        for (const n of [3, 4, 5, 6, 7, 8]) {
          const r = ctx.sk('exec', '-w', `/proc/self/fd/${n}`, id, 'sh', '-c', `echo x > ${UP}${target.slice(1)}; pwd`);
          expect(existsSync(target), `fd ${n}: ${r.stdout}${r.stderr}`).toBe(false);
          expect(r.status, `fd ${n} must be refused`).not.toBe(0);
        }
      } finally {
        rmSync(target, { force: true });
      }
    }, 120_000);

    itWhen(conds, 'exec -w through a symlink made in the container to /proc/self/fd/3 is refused', () => {
      const target = `/tmp/skiff-escape-${randomBytes(6).toString('hex')}`;
      try {
        expect(ctx.sk('exec', id, 'ln', '-sf', '/proc/self/fd/3', '/w').status).toBe(0);
        const r = ctx.sk('exec', '-w', '/w', id, 'sh', '-c', `echo x > ${UP}${target.slice(1)}`);
        expect(existsSync(target)).toBe(false);
        expect(r.status).toBe(126);
        expect(r.stderr).toMatch(/working directory/);
        // and the container's ordinary working directories still work
        expect(ctx.sk('exec', '-w', '/tmp', id, 'pwd').stdout).toBe('/tmp\n');
        expect(ctx.sk('exec', '-w', '/etc/../usr', id, 'pwd').stdout).toBe('/usr\n');
      } finally {
        rmSync(target, { force: true });
      }
    }, 60_000);

    itWhen(conds, 'a process in the container cannot open /proc/<pid>/fd of a process entering it', async () => {
      const secret = hostSecret(ctx.user);
      try {
        // The attacker spins on `kill -STOP <next pid>`: it freezes the entering process the moment it
        // exists, then lets it run in tiny slices (CONT/STOP) and, at every stop until its execve, tries
        // each descriptor it holds, its cwd and root as a way out (fd/N/../../…/secret). Only shell
        // builtins inside the loop, so the attacker itself creates no process that would take the pid.
        const attack = [
          'rm -f /tmp/caught /tmp/loot /tmp/fds /tmp/stop',
          // Returns once the kernel has really stopped process $1 (state T). A STOP sent while it is
          // inside a system call takes effect when the call returns: without this wait the attacker
          // could read the comm before an execve and list the descriptors after it, those of the
          // program the process has become (its own stdio, as any process in the container has).
          'stopped() { j=0; while [ $j -lt 100000 ]; do read -r _ _ st _ < /proc/$1/stat || return 1; [ "$st" = T ] && return 0; j=$((j + 1)); done; return 1; }',
          'while [ ! -e /tmp/stop ]; do',
          // the next pid of this namespace: one past that of a process just made
          "  n=$(sh -c 'echo $$'); n=$((n + 1))",
          '  until kill -STOP $n 2>/dev/null; do [ -e /tmp/stop ] && exit; done',
          '  i=0',
          '  while stopped $n && read comm < /proc/$n/comm 2>/dev/null && [ "$comm" = skiff-runtime ] && [ $i -lt 3000 ]; do',
          '    [ $i = 0 ] && echo "$n" >> /tmp/caught',
          '    for f in /proc/$n/fd/*; do [ -e "$f" ] && echo "$f" >> /tmp/fds; done',
          `    for f in /proc/$n/fd/* /proc/$n/cwd /proc/$n/root; do read -r s < "$f/${UP}${secret.path.slice(1)}" && echo "$s" >> /tmp/loot; done 2>/dev/null`,
          '    kill -CONT $n; kill -STOP $n; i=$((i + 1))',
          '  done',
          '  kill -CONT $n',
          'done',
        ].join('\n');
        const bg = ctx.sk('exec', id, 'sh', '-c', `(${attack}) >/dev/null 2>&1 </dev/null &`);
        expect(bg.status, bg.stderr).toBe(0);
        await new Promise((r) => setTimeout(r, 300));
        let caught = '';
        // At nice 19 the entering process yields the CPU to the spinning attacker (nice 0) on a busy
        // machine: the race a real attacker wins by retrying, won here in a few tries.
        for (let i = 0; i < 20 && !caught; i++) {
          const r = ctx.niceSk('exec', id, 'true');
          expect(r.status, r.stderr).toBe(0);
          caught = ctx.sk('exec', id, 'sh', '-c', 'cat /tmp/caught 2>/dev/null').stdout;
        }
        ctx.sk('exec', id, 'touch', '/tmp/stop');
        // The attack must have frozen a process before its execve, or this test proves nothing.
        expect(caught, `the attacker never caught an entering process: ${ctx.sk('exec', id, 'ps').stdout}`).not.toBe('');
        const loot = ctx.sk('exec', id, 'sh', '-c', 'cat /tmp/loot 2>/dev/null').stdout;
        expect(loot).not.toContain(secret.content);
        const fds = ctx.sk('exec', id, 'sh', '-c', 'cat /tmp/fds 2>/dev/null').stdout;
        expect(fds, 'the entering process\'s descriptors were listed').toBe('');
      } finally {
        secret.dispose();
      }
    }, 120_000);

    itWhen(conds, '/proc/<pid>/exe of the runtime started in the container is not the host binary', async () => {
      // `skiff exec ID /proc/self/exe …` makes the container's process the launcher itself (the
      // CVE-2019-5736 path). `seccomp-bpf` blocks reading its stdin, which holds it there while we look.
      const env = { ...process.env, ...ctx.env };
      const args = ['exec', '-i', id, '/proc/self/exe', 'seccomp-bpf'];
      const held = ctx.user
        ? spawn('setpriv', [`--reuid=${ctx.user.uid}`, `--regid=${ctx.user.gid}`, '--init-groups', '--', SKIFF, ...args], { env: { ...env, HOME: ctx.user.home, USER: ctx.user.name }, stdio: ['pipe', 'ignore', 'ignore'] })
        : spawn(SKIFF, args, { env, stdio: ['pipe', 'ignore', 'ignore'] });
      try {
        let look = '';
        for (let i = 0; i < 50 && !look.includes('exe'); i++) {
          await new Promise((r) => setTimeout(r, 200));
          look = ctx.sk('exec', id, 'sh', '-c', 'for p in /proc/[0-9]*; do [ "$(cat $p/cmdline | tr "\\0" " ")" = "/proc/self/exe seccomp-bpf " ] && { echo "exe $(readlink $p/exe)"; (echo pwn >> $p/exe) 2>&1; }; done; true').stdout;
        }
        expect(look).toMatch(/^exe /);
        expect(look).not.toContain('native-bindings');
        expect(look).toMatch(/memfd/);
        expect(look).not.toMatch(/^pwn/m);
      } finally {
        held.stdin?.end();
        held.kill('SIGKILL');
      }
    }, 60_000);
  });
}

// run's -w and an image WORKDIR are resolved the same way as exec's.
describe('run -w (root)', () => {
  let store: Store;
  beforeAll(() => {
    store = tempStore('skiff-escape-run-');
  });
  afterAll(() => store?.dispose());
  itWhen([needRoot], 'run -w /proc/self/fd/3 is refused and writes nothing on the host', () => {
    const target = `/tmp/skiff-escape-${randomBytes(6).toString('hex')}`;
    try {
      const r = skiff(['run', '--rm', '-w', '/proc/self/fd/3', 'diamol/base', 'sh', '-c', `echo x > ${UP}${target.slice(1)}`], { env: store.env });
      expect(existsSync(target)).toBe(false);
      expect(r.status).toBe(125);
    } finally {
      rmSync(target, { force: true });
    }
  }, 60_000);
});
