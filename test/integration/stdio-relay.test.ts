// Foreground `run` and `exec` relay stdio through pipes or a pty their supervisor owns: nothing of the
// caller's terminal (or its pipes) is ever inside the container, a process left behind there can
// neither read what is typed afterwards nor write to it, and every container's output is in its log.
// The caller's terminal is a pty the test makes (test/helpers/pty-run.py), root and rootless.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { itWhen, needCommand, needRoot, needUserns } from '../helpers/conditions.js';
import { SKIFF, tempStore, type Store } from '../helpers/skiff.js';
import { ensureTestUser, type TestUser } from '../helpers/users.js';
import { userStore } from '../helpers/engine.js';

const PTY_RUN = resolve('test/helpers/pty-run.py');
const PY = '/usr/bin/python3';

interface Holder { pid: number; fd: number; comm: string }
interface PtyResult { output: string; exit: number; during: Holder[] | null; after: Holder[]; late: string }

/** Who runs the CLI: root with a private store, or a rootless test user with one of its own. */
interface Caller { name: string; store: Store; prefix: string[]; env: Record<string, string> }

function ptyRun(c: Caller, args: string[], opts: { scanAt?: number; linger?: number; type?: string; input?: Array<[number, string]> } = {}): PtyResult {
  const o: string[] = [];
  if (opts.scanAt !== undefined) o.push('--scan-at', String(opts.scanAt));
  if (opts.linger !== undefined) o.push('--linger', String(opts.linger));
  if (opts.type !== undefined) o.push('--type', opts.type);
  for (const [at, text] of opts.input ?? []) o.push('--input', `${at}:${text}`);
  const r = spawnSync(PY, [PTY_RUN, ...o, '--', ...c.prefix, SKIFF, ...args], { encoding: 'utf8', env: { ...process.env, ...c.env }, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`pty-run failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as PtyResult;
}

function sk(c: Caller, args: string[], input?: string) {
  const [cmd, ...rest] = [...c.prefix, SKIFF, ...args];
  return spawnSync(cmd!, rest, { encoding: 'utf8', env: { ...process.env, ...c.env }, input, timeout: 60_000 });
}

function shell(c: Caller, script: string) {
  const cmd = [...c.prefix, SKIFF].map((a) => `'${a}'`).join(' ');
  return spawnSync('sh', ['-c', script.replaceAll('SKIFF', cmd)], { encoding: 'utf8', env: { ...process.env, ...c.env }, timeout: 60_000 });
}

const callers: Caller[] = [];
let rootStore: Store | undefined;
let userS: Store | undefined;
let user: TestUser | undefined;

beforeAll(() => {
  rootStore = tempStore('skiff-stdio-');
  callers.push({ name: 'root', store: rootStore, prefix: [], env: rootStore.env });
  if (needRoot() === undefined && needUserns() === undefined) {
    user = ensureTestUser(true);
    userS = userStore(user, 'skiff-stdio-user-');
    callers.push({
      name: 'rootless', store: userS, env: { SKIFF_ROOT: userS.root },
      // A login's clean environment, as test/helpers/users.ts runAs gives (env and setpriv exec: the CLI keeps the pid).
      prefix: ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', 'env', '-i', `PATH=${process.env.PATH}`, `HOME=${user.home}`, `USER=${user.name}`, 'LANG=C.UTF-8', `SKIFF_ROOT=${userS.root}`],
    });
  }
}, 60_000);
afterAll(() => {
  userS?.dispose();
  rootStore?.dispose();
});

const modes = ['root', 'rootless'] as const;
const caller = (mode: string): Caller | undefined => callers.find((c) => c.name === mode);
const conds = (mode: string) => (mode === 'root' ? [needRoot, needCommand('python3')] : [needRoot, needUserns, needCommand('python3')]);

describe.each(modes)('the caller\'s terminal stays outside the container (%s)', (mode) => {
  itWhen(conds(mode), 'a process left behind by `exec` can neither read what is typed afterwards nor write to the terminal', () => {
    const c = caller(mode)!;
    const id = sk(c, ['run', '-d', 'diamol/base', 'sleep', '300']).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    try {
      const r = ptyRun(c, ['exec', id, 'sh', '-c', 'exec 3<&0 4>&1; (cat <&3 > /tmp/got) & (sleep 1; echo leaked-write >&4) & echo started'],
        { type: 'typed-secret', linger: 2.5 });
      expect(r.output).toContain('started');
      expect(r.exit).toBe(0);
      expect(r.after, 'no container process holds the caller\'s terminal').toEqual([]);
      expect(r.late).not.toContain('leaked-write');
      expect(sk(c, ['exec', id, 'cat', '/tmp/got']).stdout).not.toContain('typed-secret');
      // `exec -t`: the process gets a pty of the container's own, never the caller's.
      const t = ptyRun(c, ['exec', '-t', id, 'sh', '-c', '(sleep 30 <&0) & tty'], { linger: 0 });
      expect(t.output).toMatch(/\/dev\/pts\/\d/);
      expect(t.after).toEqual([]);
    } finally {
      sk(c, ['rm', '-f', id]);
    }
  }, 60_000);

  itWhen(conds(mode), 'a foreground `run` (no -t) holds no descriptor of the caller\'s terminal, and its output is in `logs`', () => {
    const c = caller(mode)!;
    const name = `fg-${mode}`;
    const r = ptyRun(c, ['run', '--name', name, 'diamol/base', 'sh', '-c', 'echo out-line; echo err-line >&2; sleep 2'], { scanAt: 1.5 });
    expect(r.during, 'no container process holds the caller\'s terminal').toEqual([]);
    expect(r.output).toContain('out-line');
    expect(r.output).toContain('err-line');
    const logs = sk(c, ['logs', name]);
    expect(logs.stdout).toContain('out-line\n');
    expect(logs.stderr).toBe('err-line\n');
    sk(c, ['rm', name]);
  }, 60_000);

  itWhen(conds(mode), '`run -it`: the container\'s own pty, lines end in \\r\\n, and the session is in `logs`', () => {
    const c = caller(mode)!;
    const name = `tty-${mode}`;
    const r = ptyRun(c, ['run', '-it', '--name', name, 'diamol/base', 'sh', '-c', 'echo one; echo two; tty'], { scanAt: 0.1 });
    expect(r.exit).toBe(0);
    expect(r.output).toContain('one\r\ntwo\r\n');
    expect(r.output).not.toContain('\r\r\n');
    expect(r.output).toMatch(/\/dev\/pts\/0/);
    expect(sk(c, ['logs', name]).stdout).toContain('one\r\ntwo\r\n');
    sk(c, ['rm', name]);
  }, 60_000);

  itWhen(conds(mode), 'ctrl-p ctrl-q detaches a foreground `run -it` and leaves it running', () => {
    const c = caller(mode)!;
    const name = `dk-${mode}`;
    const r = ptyRun(c, ['run', '-it', '--name', name, 'diamol/base', 'sh'], { input: [[2.5, 'echo typed-$((6*7))\\n'], [4, '\\x10\\x11']] });
    try {
      expect(r.exit).toBe(0);
      expect(r.output).toContain('typed-42');
      expect(r.output).toContain('read escape sequence');
      expect(sk(c, ['inspect', '-f', '{{.State.Running}}', name]).stdout.trim()).toBe('true');
      expect(sk(c, ['exec', name, 'echo', 'still-here']).stdout).toBe('still-here\n');
      expect(sk(c, ['logs', name]).stdout).toContain('typed-42');
      // `attach` reconnects to the same shell; its exit code ends attach.
      const a = ptyRun(c, ['attach', name], { input: [[1.5, 'exit 3\\n']] });
      expect(a.exit).toBe(3);
    } finally {
      sk(c, ['rm', '-f', name]);
    }
  }, 60_000);
});

describe.each(modes)('foreground stdio as Docker relays it (%s)', (mode) => {
  itWhen(conds(mode), 'keeps stdout and stderr apart, forwards stdin only with -i (EOF included), returns the exit code', () => {
    const c = caller(mode)!;
    const split = shell(c, 'SKIFF run --rm diamol/base sh -c "echo a; echo b >&2; exit 4" 2>/dev/null');
    expect(split.stdout).toBe('a\n');
    expect(split.status).toBe(4);
    const withI = sk(c, ['run', '-i', '--rm', 'diamol/base', 'cat'], 'hi\n');
    expect(withI.stdout).toBe('hi\n');
    expect(withI.status).toBe(0);
    // Without -i, Docker gives the container no stdin: cat sees EOF at once.
    const noI = sk(c, ['run', '--rm', 'diamol/base', 'cat'], 'not-forwarded\n');
    expect(noI.stdout).toBe('');
    expect(noI.status).toBe(0);
    // -a picks the streams relayed (the log still has both).
    const onlyOut = sk(c, ['run', '--name', `a-${mode}`, '-a', 'stdout', 'diamol/base', 'sh', '-c', 'echo o; echo e >&2']);
    expect([onlyOut.stdout, onlyOut.stderr]).toEqual(['o\n', '']);
    expect(sk(c, ['logs', `a-${mode}`]).stderr).toBe('e\n');
    sk(c, ['rm', `a-${mode}`]);
  }, 60_000);

  itWhen(conds(mode), '--sig-proxy=false: SIGTERM ends only the CLI; the container runs on and its supervisor finishes it', async () => {
    const c = caller(mode)!;
    const name = `nosig-${mode}`;
    const [cmd, ...rest] = [...c.prefix, SKIFF, 'run', '--sig-proxy=false', '--name', name, 'diamol/base', 'sh', '-c', 'echo ready; sleep 2; echo after-cli'];
    const p = spawn(cmd!, rest, { env: { ...process.env, ...c.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const ended = new Promise<NodeJS.Signals | null>((res) => p.on('close', (_code, sig) => res(sig)));
    await new Promise<void>((res) => p.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && res()));
    p.kill('SIGTERM');
    expect(await ended).toBe('SIGTERM');
    expect(sk(c, ['inspect', '-f', '{{.State.Running}}', name]).stdout.trim()).toBe('true');
    // Without a CLI left, the supervisor runs the cleanup itself: the container ends as exited (0).
    for (let i = 0; i < 50 && sk(c, ['inspect', '-f', '{{.State.Status}}', name]).stdout.trim() !== 'exited'; i++) spawnSync('sleep', ['0.2']);
    expect(sk(c, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name]).stdout.trim()).toBe('exited 0');
    expect(sk(c, ['logs', name]).stdout).toBe('ready\nafter-cli\n');
    sk(c, ['rm', name]);
  }, 60_000);

  itWhen(conds(mode), 'a reader that goes away (`| head -1`) does not make the container\'s writes fail; its log has everything', () => {
    const c = caller(mode)!;
    const name = `pipe-${mode}`;
    const r = shell(c, `SKIFF run --name ${name} diamol/base sh -c 'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo line $i || exit 9; done' | head -1`);
    expect(r.stdout).toBe('line 1\n');
    // The CLI may still be relaying when head exits; wait for the container to end on its own.
    for (let i = 0; i < 50 && sk(c, ['inspect', '-f', '{{.State.Running}}', name]).stdout.trim() !== 'false'; i++) spawnSync('sleep', ['0.2']);
    expect(sk(c, ['inspect', '-f', '{{.State.ExitCode}}', name]).stdout.trim()).toBe('0');
    expect(sk(c, ['logs', '--tail', '1', name]).stdout).toBe('line 3000\n');
    sk(c, ['rm', '-f', name]);
  }, 60_000);

  itWhen(conds(mode), 'SIGTERM to the CLI reaches the container; --rm is honoured', async () => {
    const c = caller(mode)!;
    const [cmd, ...rest] = [...c.prefix, SKIFF, 'run', '--rm', '--name', `term-${mode}`, 'diamol/base', 'sh', '-c', 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done'];
    const p = spawn(cmd!, rest, { env: { ...process.env, ...c.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const ended = new Promise<number | null>((res) => p.on('close', (code) => res(code)));
    await new Promise<void>((res) => p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) res();
    }));
    // The CLI itself (setpriv execs it, env execs it: same pid).
    p.kill('SIGTERM');
    const code = await ended;
    expect(out).toContain('got-term');
    expect(code).toBe(7);
    expect(sk(c, ['ps', '-aq', '--filter', `name=term-${mode}`]).stdout.trim()).toBe('');
  }, 60_000);
});

describe.each(modes)('terminal flags (%s)', (mode) => {
  itWhen(conds(mode), '`run -t` without a terminal runs; `-it` without one is Docker\'s error with exit 1', () => {
    const c = caller(mode)!;
    const t = sk(c, ['run', '-t', '--rm', 'diamol/base', 'echo', 'hi']);
    expect(t.status).toBe(0);
    expect(t.stdout).toBe('hi\r\n');
    const it = sk(c, ['run', '-it', '--rm', 'diamol/base', 'echo', 'hi']);
    expect(it.status).toBe(1);
    expect(it.stderr).toContain('the input device is not a TTY');
  }, 60_000);

  itWhen(conds(mode), '`exec -d` returns while its process runs; `exec -t` without a terminal runs', () => {
    const c = caller(mode)!;
    const id = sk(c, ['run', '-d', 'diamol/base', 'sleep', '300']).stdout.trim();
    try {
      const d = sk(c, ['exec', '-d', id, 'sh', '-c', 'echo bg > /tmp/bg; exec sleep 123']);
      expect(d.status).toBe(0);
      expect(d.stdout).toBe('');
      expect(sk(c, ['exec', id, 'ps']).stdout).toContain('sleep 123');
      const t = sk(c, ['exec', '-t', id, 'echo', 'hi']);
      expect(t.status).toBe(0);
      expect(t.stdout).toBe('hi\r\n');
    } finally {
      sk(c, ['rm', '-f', id]);
    }
  }, 60_000);
});

describe('a rootless user\'s first command (it makes the engine namespace and runs inside it)', () => {
  itWhen([needRoot, needUserns], 'ends by the signal that ended the command inside, as a CLI started directly would', async () => {
    const u = ensureTestUser(true);
    const fresh = userStore(u, 'skiff-stdio-first-');
    try {
      const [cmd, ...rest] = ['setpriv', `--reuid=${u.uid}`, `--regid=${u.gid}`, '--init-groups', '--', 'env', '-i', `PATH=${process.env.PATH}`, `HOME=${u.home}`, `USER=${u.name}`,
        `SKIFF_ROOT=${fresh.root}`, SKIFF, 'run', '--sig-proxy=false', '--name', 'first', 'diamol/base', 'sh', '-c', 'echo ready; sleep 2'];
      const p = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
      const ended = new Promise<NodeJS.Signals | null>((res) => p.on('close', (_code, sig) => res(sig)));
      await new Promise<void>((res) => p.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && res()));
      p.kill('SIGTERM');
      expect(await ended).toBe('SIGTERM');
    } finally {
      fresh.dispose();
    }
  }, 60_000);
});
