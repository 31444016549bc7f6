// Exit codes and messages as Docker 28 gives them, root and rootless: usage errors name the command,
// print its usage line and exit 1 (unknown flags 125, as Docker); every failing verb but run/create
// exits 1; run/create keep 125; an exec whose process cannot start is 126/127. Where the docker CLI is
// on the machine, its usage errors (which need no daemon) are compared with skiff's word for word.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { itWhen, needCommand, needRoot, needUserns } from '../helpers/conditions.js';
import { SKIFF, tempStore, type Store } from '../helpers/skiff.js';
import { ensureTestUser } from '../helpers/users.js';
import { userStore } from '../helpers/engine.js';

interface Caller { name: string; store: Store; prefix: string[]; env: Record<string, string> }

function sk(c: Caller, args: string[], input = '') {
  const [cmd, ...rest] = [...c.prefix, SKIFF, ...args];
  return spawnSync(cmd!, rest, { encoding: 'utf8', env: { ...process.env, ...c.env }, input, timeout: 60_000 });
}

const callers: Caller[] = [];
let rootStore: Store | undefined;
let userS: Store | undefined;

beforeAll(() => {
  rootStore = tempStore('skiff-exit-');
  callers.push({ name: 'root', store: rootStore, prefix: [], env: rootStore.env });
  if (needRoot() === undefined && needUserns() === undefined) {
    const user = ensureTestUser(true);
    userS = userStore(user, 'skiff-exit-user-');
    callers.push({
      name: 'rootless', store: userS, env: { SKIFF_ROOT: userS.root },
      prefix: ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', 'env', '-i', `PATH=${process.env.PATH}`, `HOME=${user.home}`, `USER=${user.name}`, 'LANG=C.UTF-8', `SKIFF_ROOT=${userS.root}`],
    });
  }
}, 60_000);
afterAll(() => {
  userS?.dispose();
  rootStore?.dispose();
});

const modes = ['root', 'rootless'] as const;
const caller = (mode: string): Caller => callers.find((c) => c.name === mode)!;
const conds = (mode: string) => (mode === 'root' ? [needRoot] : [needRoot, needUserns]);

/** Usage errors whose text the docker CLI prints without a daemon. */
const USAGE_CASES = [
  ['rm'], ['rename', 'a'], ['rename', 'a', 'b', 'c'], ['ps', 'x'], ['ps', '--bogus'], ['ps', '-x'], ['ps', '--format'],
  ['wait'], ['pause'], ['unpause'], ['top'], ['inspect'], ['events', 'x'], ['version', 'x'], ['info', 'x'],
  ['system', 'df', 'x'], ['system', 'prune', 'x'], ['start'], ['stop'], ['kill'], ['exec'], ['exec', 'c'], ['logs'],
  ['run'], ['create'], ['pull'], ['rmi'], ['tag', 'a'], ['port'], ['frob'], ['container', 'frob'], ['network', 'rm'],
  ['volume', 'rm'], ['network', 'create'], ['volume', 'inspect'], ['stats', '--bogus'], ['image', 'prune', 'x'],
];

describe.each(modes)('exit codes and usage errors (%s)', (mode) => {
  itWhen(conds(mode), 'usage errors: the command named, its usage line, exit 1 (unknown flags 125)', () => {
    const c = caller(mode);
    const rm = sk(c, ['rm']);
    expect(rm.status).toBe(1);
    expect(rm.stderr).toBe("skiff: 'skiff rm' requires at least 1 argument\n\nUsage:  skiff rm [OPTIONS] CONTAINER [CONTAINER...]\n\nSee 'skiff rm --help' for more information\n");
    const rename = sk(c, ['container', 'rename', 'a']);
    expect(rename.status).toBe(1);
    expect(rename.stderr).toBe("skiff: 'skiff container rename' requires 2 arguments\n\nUsage:  skiff container rename CONTAINER NEW_NAME\n\nRun 'skiff container rename --help' for more information\n");
    const ps = sk(c, ['ps', 'extra']);
    expect([ps.status, ps.stderr.split('\n')[0]]).toEqual([1, "skiff: 'skiff ps' accepts no arguments"]);
    const unknown = sk(c, ['frobnicate']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe("skiff: unknown command: skiff frobnicate\n\nRun 'skiff --help' for more information\n");
    const suggested = sk(c, ['psx']);
    expect(suggested.stderr).toContain('(Did you mean ps?)');
    const flag = sk(c, ['ps', '--bogus']);
    expect(flag.status).toBe(125);
    expect(flag.stderr).toBe("unknown flag: --bogus\n\nUsage:  skiff ps [OPTIONS]\n\nRun 'skiff ps --help' for more information\n");
    const runFlag = sk(c, ['run', '--no-such-flag', 'diamol/base']);
    expect(runFlag.status).toBe(125);
    expect(sk(c, ['run']).status).toBe(1);
  });

  itWhen(conds(mode), 'failures of verbs other than run/create exit 1; run keeps 125; exec 126/127', () => {
    const c = caller(mode);
    const expectFail = (args: string[], status: number, stderr: RegExp) => {
      const r = sk(c, args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(status);
      expect(r.stderr, args.join(' ')).toMatch(stderr);
    };
    expectFail(['rmi', 'no/such-image'], 1, /^skiff: No such image: no\/such-image/);
    expectFail(['pull', 'diamol/base:no-such-tag'], 1, /^skiff: .*no-such-tag/);
    expectFail(['exec', 'nope', 'true'], 1, /^skiff: No such container: nope/);
    expectFail(['inspect', 'nope'], 1, /^skiff: No such object: nope\n$/);
    expectFail(['inspect', '--type', 'box', 'x'], 1, /^skiff: unknown type: "box": must be one of "container", "image", "network", "volume"/);
    expectFail(['search', 'nginx'], 1, /^skiff: cannot search for "nginx": skiff has no image index to search/);
    expectFail(['logs', 'nope'], 1, /^skiff: No such container: nope/);
    expectFail(['run', '--restart', 'sometimes', 'diamol/base', 'true'], 125, /invalid restart policy/);

    const stopped = sk(c, ['create', '--name', 'stopped', 'diamol/base', 'true']);
    expect(stopped.status, stopped.stderr).toBe(0);
    expectFail(['exec', 'stopped', 'true'], 1, /is not running/);
    expectFail(['top', 'stopped'], 1, /is not running/);
    expectFail(['pause', 'stopped'], 1, /^skiff: Container [0-9a-f]{64} is not running/);
    expectFail(['unpause', 'stopped'], 1, /^skiff: Container [0-9a-f]{64} is not paused/);
    expect(sk(c, ['create', '--name', 'other', 'diamol/base', 'true']).status).toBe(0);
    expectFail(['rename', 'stopped', 'other'], 1, /already in use/);

    const up = sk(c, ['run', '-d', '--name', 'up', 'diamol/base', 'sleep', '60']);
    expect(up.status, up.stderr).toBe(0);
    try {
      expectFail(['rm', 'up'], 1, /^skiff: cannot remove container "\/up": container is running: stop the container before removing or force remove\. `skiff stop up` first, or `skiff rm -f up`\n$/);
      expectFail(['exec', 'up', '/no/such/program'], 127, /.+/);
      expectFail(['start', 'up', 'nope'], 1, /No such container: nope/);
    } finally {
      sk(c, ['rm', '-f', 'up', 'stopped', 'other']);
    }
  }, 120_000);
});

describe('usage errors match the docker CLI word for word', () => {
  itWhen([needRoot, needCommand('docker')], 'each case: same stderr (docker → skiff) and the same exit code', () => {
    const root = caller('root');
    for (const args of USAGE_CASES) {
      const d = spawnSync('docker', args, { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent.sock' }, timeout: 30_000 });
      const s = sk(root, args);
      expect(s.stderr, args.join(' ')).toBe(d.stderr.replaceAll('docker', 'skiff'));
      expect(s.status, args.join(' ')).toBe(d.status);
    }
  }, 120_000);
});
