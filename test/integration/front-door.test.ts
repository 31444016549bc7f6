// The front door (bin/skiff → native-bindings/client) and its resident server (skiff-warm): commands
// run in a pre-started worker with the caller's own stdio, cwd, env and exit status; signals reach the
// command; it behaves exactly like a fresh CLI (SKIFF_WARM=off); the server is private to its user,
// lives in a rootless user's engine namespace, and goes away with its store or when idle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SKIFF, skiff, tempStore, type Store } from '../helpers/skiff.js';
import { ensureTestUser, runAs } from '../helpers/users.js';

let store: Store;
beforeAll(() => {
  store = tempStore('skiff-front-');
  expect(skiff(['pull', 'diamol/base'], { env: { ...store.env, SKIFF_WARM: 'off' } }).status).toBe(0);
});
afterAll(() => store.dispose());

const sock = () => join(store.root, 'run', 'warm.sock');

/** Pids of the children of a process. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1] === String(pid);
    } catch {
      return false;
    }
  }).map(Number);
}

/** Pids of the skiff-warm servers serving a run dir. */
function servers(runDir: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      return argv[0]!.endsWith('/skiff-warm') && argv[1] === runDir;
    } catch {
      return false;
    }
  }).map(Number);
}

async function waitFor(cond: () => boolean, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (cond()) return true;
  return cond();
}

describe('front door', () => {
  it('runs commands in the resident server\'s worker, with the same output and exit codes as a fresh CLI', () => {
    const cases = [['--version'], ['ps', '-a'], ['images'], ['inspect', 'nope'], ['no-such-verb'], ['run', '--rm', 'diamol/base', 'sh', '-c', 'echo out; echo err >&2; exit 3']];
    for (const args of cases) {
      const warm = skiff(args, { env: store.env });
      const cold = skiff(args, { env: { ...store.env, SKIFF_WARM: 'off' } });
      expect({ args, out: warm.stdout, err: warm.stderr, status: warm.status }).toEqual({ args, out: cold.stdout, err: cold.stderr, status: cold.status });
    }
    expect(existsSync(sock())).toBe(true);
    expect(servers(join(store.root, 'run'))).toHaveLength(1);
  });

  it('hands over the caller\'s cwd, env, umask and stdio: a file, a pipe, a closed stdin', () => {
    const work = mkdtempSync('/tmp/skiff-front-cwd-');
    try {
      writeFileSync(join(work, 'input'), 'from a file\n');
      writeFileSync(join(work, 'vars'), 'FROM_FILE=relative\n');
      // A relative --env-file and -o resolve against the caller's cwd; -e NAME takes the caller's env;
      // the file -o makes follows the caller's umask.
      const sh = `cd ${work} && umask 027 && FROM_CALLER=yes "${SKIFF}" run --rm -i --env-file vars -e FROM_CALLER diamol/base sh -c 'cat; echo $FROM_CALLER $FROM_FILE' < input > out 2> err && "${SKIFF}" save -o img.tar diamol/base; echo $?`;
      const r = spawnSync('sh', ['-c', sh], { env: { ...process.env, ...store.env }, encoding: 'utf8' });
      expect(r.stdout.trim()).toBe('0');
      expect(readFileSync(join(work, 'out'), 'utf8')).toBe('from a file\nyes relative\n');
      expect(statSync(join(work, 'img.tar')).mode & 0o777).toBe(0o640);
      const closed = spawnSync('sh', ['-c', `"${SKIFF}" run --rm -i diamol/base cat <&-; echo $?`], { env: { ...process.env, ...store.env }, encoding: 'utf8' });
      expect(closed.stdout).toBe('0\n');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('forwards signals to the command and ends the way it ended', async () => {
    const id = skiff(['run', '-d', 'diamol/base', 'sh', '-c', 'while :; do echo tick; sleep 0.2; done'], { env: store.env }).stdout.trim();
    const child = spawn(SKIFF, ['logs', '-f', id], { env: { ...process.env, ...store.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += String(d); });
    expect(await waitFor(() => out.includes('tick'))).toBe(true);
    const ended = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (code, sig) => r([code, sig])));
    child.kill('SIGINT');
    // logs -f has no SIGINT handler: the worker dies of it, and so does the client.
    expect(await ended).toEqual([null, 'SIGINT']);
    expect(skiff(['rm', '-f', id], { env: store.env }).status).toBe(0);
  });

  it('Ctrl-C in a terminal reaches a foreground container, as it did when the CLI was in the terminal\'s process group', async () => {
    const script = `"${SKIFF}" run --rm diamol/base sh -c 'trap "echo got-int; exit 7" INT; echo ready; while :; do sleep 0.1; done'; echo "status $?"`;
    // script(1) runs the line with $SHELL: bash, as in a user's terminal, waits for the foreground job
    // and goes on unless the job died of the Ctrl-C; dash (/bin/sh, when SHELL is unset) dies of it itself.
    const child = spawn('script', ['-qec', script, '/dev/null'], { env: { ...process.env, ...store.env, SHELL: '/bin/bash' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += String(d); });
    const ended = new Promise((r) => child.on('exit', r));
    expect(await waitFor(() => out.includes('ready'), 20_000)).toBe(true);
    child.stdin.write('\x03');  // the pty's line discipline turns it into SIGINT for its foreground group
    expect(await waitFor(() => out.includes('status'), 20_000), out).toBe(true);
    child.stdin.end();
    await ended;
    expect(out).toContain('got-int');
    expect(out).toMatch(/status 7/);
  }, 60_000);

  it('a detached --rm container is cleaned up at exit by its supervisor, which now calls the front door', async () => {
    const id = skiff(['run', '-d', '--rm', 'diamol/base', 'true'], { env: store.env }).stdout.trim();
    expect(await waitFor(() => !existsSync(join(store.root, 'containers', id)))).toBe(true);
  });

  it('refuses a client of another user even where the socket\'s mode would let it in', async () => {
    skiff(['--version'], { env: store.env });
    const run = join(store.root, 'run');
    const [server] = servers(run);
    expect(server).toBeDefined();
    const before = childrenOf(server!);
    expect(before.length).toBeGreaterThan(0);
    const other = ensureTestUser(false);
    spawnSync('chmod', ['0777', run, sock()]);
    try {
      // The real client, pointed at root's run dir; had the server taken the command, a worker would
      // have run it as root. Refused, the client falls back to SKIFF_NODE (here: false).
      const r = runAs(other, SKIFF, ['--version'], { SKIFF_ENGINE_NS: run, SKIFF_NODE: '/bin/false' });
      expect([r.status, r.stdout]).toEqual([1, '']);
    } finally {
      spawnSync('chmod', ['0700', run]);
      spawnSync('chmod', ['0600', sock()]);
    }
    // A taken command would have used a worker up and made the server start another.
    expect(childrenOf(server!).filter((p) => !before.includes(p))).toEqual([]);
  });

  it('leaves when idle, and when its store goes', async () => {
    const s2 = tempStore('skiff-front-idle-');
    const run = join(s2.root, 'run');
    try {
      expect(skiff(['--version'], { env: { ...s2.env, SKIFF_WARM_IDLE: '1' } }).status).toBe(0);
      expect(existsSync(join(run, 'warm.lock'))).toBe(true);  // a server served it
      expect(await waitFor(() => servers(run).length === 0, 10_000)).toBe(true);
      expect(existsSync(join(run, 'warm.sock'))).toBe(false);
      expect(skiff(['--version'], { env: s2.env }).status).toBe(0);
      expect(servers(run)).toHaveLength(1);
    } finally {
      s2.dispose();
    }
    expect(await waitFor(() => servers(run).length === 0, 5_000)).toBe(true);
  });

  it('rootless: the server lives in the user\'s engine namespace and serves the same commands', async () => {
    const user = ensureTestUser(true);
    const root = mkdtempSync('/tmp/skiff-front-rl-');
    spawnSync('chown', [`${user.uid}:${user.gid}`, root]);
    const env = { SKIFF_ROOT: root };
    try {
      const first = runAs(user, SKIFF, ['run', '--rm', 'diamol/base', 'sh', '-c', 'exit 4'], env);
      expect(first.status).toBe(4);
      const second = runAs(user, SKIFF, ['run', '--rm', 'diamol/base', 'id', '-u'], env);
      expect([second.status, second.stdout]).toEqual([0, '0\n']);
      const run = join(root, 'run');
      const [server] = servers(run);
      expect(server).toBeDefined();
      const holder = Number(readFileSync(join(run, 'engine.pid'), 'utf8').split(' ')[0]);
      expect(readlinkSync(`/proc/${server}/ns/user`)).toBe(readlinkSync(`/proc/${holder}/ns/user`));
      expect(readlinkSync(`/proc/${server}/ns/user`)).not.toBe(readlinkSync('/proc/self/ns/user'));
    } finally {
      runAs(user, 'sh', ['-c', `ids=$("${SKIFF}" ps -aq); [ -z "$ids" ] || "${SKIFF}" rm -f $ids`], env);
      try {
        process.kill(Number(readFileSync(join(root, 'run', 'engine.pid'), 'utf8').split(' ')[0]), 'SIGKILL');
      } catch {
        // already gone
      }
      rmSync(root, { recursive: true, force: true });
    }
  });
});

