// The runtime core end to end through the real CLI: the chapter's first container as root and as
// unprivileged users (with and without a subordinate id range), the interactive shell, exit codes,
// flags, bad input, and no mount or directory left behind.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync, chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { itWhen, needRoot, needUserns, needCommand } from '../helpers/conditions.js';
import { SKIFF, skiff, skiffAs, tempStore, type Store } from '../helpers/skiff.js';
import { ensureTestUser, runAs } from '../helpers/users.js';
import { mountSnapshot, userStore } from '../helpers/engine.js';

const HELLO = 'diamol/ch02-hello-diamol';
let store: Store;

function containers(s: Store): string[] {
  const dir = join(s.root, 'containers');
  return existsSync(dir) ? readdirSync(dir) : [];
}

function expectHello(out: string): void {
  expect(out).toContain('Hello from Chapter 2!');
  const lines = out.split('\n');
  const name = lines[lines.indexOf('My name is:') + 1];
  expect(name).toMatch(/^[0-9a-f]{12}$/);
  expect(out).toMatch(/Linux \S+ x86_64/);
}

beforeAll(() => {
  store = tempStore();
});
afterAll(() => store?.dispose());

describe('skiff run as root', () => {
  itWhen([needRoot], 'runs the chapter\'s first container, pulling it with Docker\'s lines, and leaves no mount', () => {
    const before = mountSnapshot();
    const r = skiff(['container', 'run', HELLO], { env: store.env });
    expect(r.stderr).toContain(`Unable to find image '${HELLO}:latest' locally`);
    expect(r.stderr).toMatch(/Status: Downloaded newer image for diamol\/ch02-hello-diamol:latest/);
    expect(r.status).toBe(0);
    expectHello(r.stdout);
    expect(r.stdout).toMatch(/inet addr:172\.17\.\d+\.\d+\s+Bcast:172\.17\.255\.255\s+Mask:255\.255\.0\.0/);
    expect(mountSnapshot()).toEqual(before);
    const again = skiff(['run', HELLO], { env: store.env });
    expect(again.stderr).not.toContain('Unable to find image');
    expectHello(again.stdout);
  }, 60_000);

  itWhen([needRoot], 'passes the exit code, -e, -w, a command override and stdin through', () => {
    // stdin only with -i, as Docker (stdio-relay.test.ts checks that without -i nothing is forwarded).
    const r = skiff(['run', '--rm', '-i', '-e', 'GREETING=hi', '-w', '/tmp/wd', 'diamol/base', 'sh', '-c', 'echo $GREETING; pwd; cat; exit 3'], { env: store.env, input: 'from stdin\n' });
    expect(r.stdout).toBe('hi\n/tmp/wd\nfrom stdin\n');
    expect(r.status).toBe(3);
  }, 30_000);

  itWhen([needRoot], 'isolates: own pid 1, own hostname, Docker\'s capabilities, no_new_privs, masked /proc', () => {
    const r = skiff(['run', '--rm', 'diamol/base', 'sh', '-c',
      'echo pid=$$; hostname; grep -E "^(CapBnd|NoNewPrivs)" /proc/self/status; cat /proc/kcore | wc -c; ls /proc/self/fd | wc -l; touch /proc/sys/x 2>&1 || echo ro'], { env: store.env });
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toContain('pid=1\n');
    expect(out.split('\n')[1]).not.toBe(hostname());
    expect(out).toContain('CapBnd:\t00000000a80425fb');
    expect(out).toMatch(/NoNewPrivs:\s+1/);
    expect(out).toMatch(/\n0\n/); // /proc/kcore reads as /dev/null
    expect(out).toMatch(/ro\n$/);
  }, 30_000);

  itWhen([needRoot, needCommand('script')], 'gives `run -it diamol/base` a real terminal with a / # prompt', () => {
    const r = spawnSync('script', ['-qec', `${SKIFF} run -it --rm diamol/base`, '/dev/null'], {
      encoding: 'utf8', env: { ...process.env, ...store.env },
      input: 'ps; tty; exit 5\n', timeout: 30_000,
    });
    expect(r.stdout).toContain('/ # ');
    expect(r.stdout).toMatch(/\s+1 root\s+\/bin\/sh/);
    expect(r.stdout).toContain('/dev/pts/0');
    expect(r.status).toBe(5);
  }, 40_000);

  itWhen([needRoot], '--trace shows the plan steps with their reasons', () => {
    const r = skiff(['--trace', 'run', '--rm', 'diamol/base', 'true'], { env: store.env });
    expect(r.status).toBe(0);
    for (const step of ['clone', 'overlay', 'pivot', 'hostname', 'cap-bound', 'cap-sets', 'no-new-privs', 'exec']) expect(r.stderr).toContain(step);
    expect(r.stderr).toMatch(/pivot.*detach the host's filesystem/);
  }, 30_000);

  itWhen([needRoot], 'refuses a taken name and keeps the first container', () => {
    expect(skiff(['run', '--name', 'web1', 'diamol/base', 'true'], { env: store.env }).status).toBe(0);
    const r = skiff(['run', '--name', 'web1', 'diamol/base', 'true'], { env: store.env });
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('is already in use');
  }, 30_000);
});

describe('bad input: one line, non-zero, nothing left', () => {
  itWhen([needRoot], 'unknown image', () => {
    const before = containers(store);
    const r = skiff(['run', 'no/such-image-here'], { env: store.env });
    expect(r.status).toBe(125);
    // Docker's own preface, then exactly one error line.
    expect(r.stderr).toMatch(/^Unable to find image 'no\/such-image-here:latest' locally\n/);
    const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('skiff:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/no\/such-image-here/);
    expect(containers(store)).toEqual(before);
  });

  itWhen([needRoot], 'unknown flag', () => {
    const r = skiff(['run', '--no-such-flag', 'diamol/base'], { env: store.env });
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/^unknown flag: --no-such-flag\n\nUsage:  skiff run \[OPTIONS\] IMAGE/);
  });

  itWhen([needRoot], 'missing command (127), not executable (126), exec format error (126)', () => {
    const before = containers(store);
    const mounts = mountSnapshot();
    const a = skiff(['run', 'diamol/base', 'no-such-cmd'], { env: store.env });
    expect(a.status).toBe(127);
    expect(a.stderr).toBe('skiff: exec: "no-such-cmd": executable file not found in $PATH. check the command and the image\'s PATH\n');
    const b = skiff(['run', 'diamol/base', '/etc/passwd'], { env: store.env });
    expect(b.status).toBe(126);
    expect(b.stderr).toContain('permission denied');
    const dir = mkdtempSync('/tmp/skiff-bin-');
    try {
      writeFileSync(join(dir, 'garbage'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 9, 9, 9, 9, 0, 0, 0, 0]));
      chmodSync(join(dir, 'garbage'), 0o755);
      const c = skiff(['run', '-v', `${dir}:/x:ro`, 'diamol/base', '/x/garbage'], { env: store.env });
      expect(c.status).toBe(126);
      expect(c.stderr).toContain('exec format error');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(containers(store)).toEqual(before);
    expect(mountSnapshot()).toEqual(mounts);
  }, 30_000);

  itWhen([needRoot], 'a bad volume spec and a relative workdir', () => {
    const before = containers(store);
    // (A relative host path, `-v ./dir:/x`, is Docker 23+'s bind of that directory: a relative target is not.)
    const a = skiff(['run', '-v', '/tmp:relative', 'diamol/base', 'true'], { env: store.env });
    expect(a.status).toBe(125);
    expect(a.stderr).toContain('invalid volume specification');
    const b = skiff(['run', '-w', 'rel', 'diamol/base', 'true'], { env: store.env });
    expect(b.status).toBe(125);
    expect(containers(store)).toEqual(before);
  });
});

describe('skiff run as an ordinary user (rootless)', () => {
  itWhen([needRoot, needUserns, needCommand('newuidmap')], 'with a subordinate id range: the hello container, a non-root user inside, nothing left', () => {
    const user = ensureTestUser(true);
    const s = userStore(user);
    try {
      const r = skiffAs(user, ['container', 'run', HELLO], s.env);
      expect(r.status, r.stderr).toBe(0);
      expectHello(r.stdout);
      // uid 1000 inside maps into the subordinate range: only possible with newuidmap.
      const u = skiffAs(user, ['run', '--rm', '-u', '1000:1000', 'diamol/base', 'id'], s.env);
      expect(u.stdout.trim()).toMatch(/^uid=1000 gid=1000/);
      const ps = skiffAs(user, ['ps', '-a'], s.env);
      expect(ps.stdout).toContain('Exited (0)');
    } finally {
      s.dispose();
    }
  }, 90_000);

  itWhen([needRoot, needUserns], 'without a subordinate id range: a single-id map still runs the hello container', () => {
    const user = ensureTestUser(false);
    const s = userStore(user, 'skiff-nosub-');
    try {
      const r = skiffAs(user, ['run', '--rm', HELLO], s.env);
      expect(r.status, r.stderr).toBe(0);
      expectHello(r.stdout);
      const u = skiffAs(user, ['run', '--rm', '-u', '1000', 'diamol/base', 'id'], s.env);
      expect(u.status).toBe(125);
      expect(u.stderr).toContain('/etc/subuid');
    } finally {
      s.dispose();
    }
  }, 90_000);

  itWhen([needRoot, needUserns], 'no user namespaces: a one-line error that names the fix', () => {
    // The machine-wide sysctl is not ours to change; a user namespace's own limit is. Inside one whose
    // max_user_namespaces is 0, skiff can create none, exactly as on a kernel that forbids them.
    const user = ensureTestUser(true);
    const s = userStore(user, 'skiff-nouserns-');
    try {
      const script = `echo 0 > /proc/sys/user/max_user_namespaces && exec ${SKIFF} run --rm diamol/base true`;
      const r = runAs(user, 'unshare', ['--user', '--map-root-user', 'sh', '-c', script], s.env);
      expect(r.status).toBe(125);
      const last = r.stderr.trim().split('\n').pop()!;
      expect(last).toMatch(/^skiff: .*namespaces/);
      expect(last).toContain('skiff doctor');
      expect(containers(s)).toEqual([]);
    } finally {
      s.dispose();
    }
  }, 60_000);
});
