// `skiff build` as Docker's classic builder, root and rootless: multi-stage builds (COPY --from a stage
// name, an index and an image; a RUN's deletion in the source stage stays deleted), --target,
// HEALTHCHECK/STOPSIGNAL/VOLUME/SHELL/ONBUILD in the image config as Docker stores them, ONBUILD triggers
// run by a build FROM the image, the output lines, and Docker's exit codes for bad input.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needRoot, needUserns } from '../helpers/conditions.js';
import { SKIFF, tempStore, type Store } from '../helpers/skiff.js';
import { ensureTestUser } from '../helpers/users.js';
import { userStore } from '../helpers/engine.js';

interface Caller { name: string; store: Store; prefix: string[] }
const callers: Caller[] = [];
let ctx: string;

function sk(c: Caller, args: string[], input?: string) {
  const [cmd, ...rest] = [...c.prefix, SKIFF, ...args];
  return spawnSync(cmd!, rest, { encoding: 'utf8', env: { ...process.env, SKIFF_ROOT: c.store.root }, input, timeout: 240_000 });
}

beforeAll(() => {
  ctx = mkdtempSync('/tmp/skiff-ms-ctx-');
  chmodSync(ctx, 0o755);
  writeFileSync(join(ctx, 'note.txt'), 'from the context\n');
  writeFileSync(join(ctx, 'Dockerfile'), [
    'FROM diamol/base AS builder',
    'RUN mkdir -p /out && echo hello > /out/hello && echo bye > /out/gone',
    'RUN rm /out/gone && ln -s hello /out/link',
    'FROM diamol/base AS other',
    'RUN echo other > /other.txt',
    'FROM diamol/base',
    'COPY --from=builder /out /app/',
    'COPY --from=0 /out/hello /one.txt',
    'COPY --from=diamol/base /bin/busybox /bb',
    'COPY note.txt /app/',
    'HEALTHCHECK --interval=5s --timeout=3s --start-period=1s --retries=2 CMD ["true"]',
    'STOPSIGNAL SIGINT',
    'VOLUME ["/data"]',
    'SHELL ["/bin/sh", "-ec"]',
    'ONBUILD RUN echo "trigger ran" > /trigger.txt',
    'CMD ["sh", "-c", "ls /app; cat /one.txt /app/note.txt; ls /other.txt 2>&1; test -x /bb && echo bb"]',
  ].join('\n'));
  writeFileSync(join(ctx, 'Dockerfile.child'), 'FROM lab/ms\nCMD ["cat", "/trigger.txt"]\n');
  writeFileSync(join(ctx, 'Dockerfile.bad'), 'FROM diamol/base\nRUN --mount=type=cache,target=/x true\n');
  const root = tempStore('skiff-ms-');
  callers.push({ name: 'root', store: root, prefix: [] });
  if (needRoot() === undefined && needUserns() === undefined) {
    const user = ensureTestUser(true);
    const us = userStore(user, 'skiff-ms-user-');
    callers.push({ name: 'rootless', store: us, prefix: ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', 'env', '-i', `PATH=${process.env.PATH}`, `HOME=${user.home}`, `USER=${user.name}`, `SKIFF_ROOT=${us.root}`] });
  }
}, 60_000);
afterAll(() => {
  for (const c of callers) c.store.dispose();
  rmSync(ctx, { recursive: true, force: true });
});

const conds = (mode: string) => (mode === 'root' ? [needRoot] : [needRoot, needUserns]);

describe.each(['root', 'rootless'])('multi-stage builds (%s)', (mode) => {
  const caller = () => callers.find((c) => c.name === mode)!;

  itWhen(conds(mode), 'COPY --from a stage name, an index and an image; the config as Docker stores it; the image runs', () => {
    const c = caller();
    const b = sk(c, ['build', '-t', 'lab/ms', '-t', 'lab/ms:v1', ctx]);
    expect(b.status, b.stderr).toBe(0);
    const lines = b.stdout.split('\n');
    expect(lines[0]).toBe('Step 1/16 : FROM diamol/base AS builder');
    expect(b.stdout).toMatch(/Step 7\/16 : COPY --from=builder \/out \/app\/\n ---> [0-9a-f]{12}\n/);
    expect(b.stdout).toMatch(/Step 2\/16 : RUN mkdir .*\n ---> Running in ([0-9a-f]{12})\nRemoving intermediate container \1\n ---> [0-9a-f]{12}\n/);
    const id = /Successfully built ([0-9a-f]{12})\n/.exec(b.stdout)![1]!;
    expect(b.stdout).toContain(` ---> ${id}\nSuccessfully built ${id}\nSuccessfully tagged lab/ms:latest\nSuccessfully tagged lab/ms:v1\n`);
    // the classic builder builds every stage up to the target, "other" too
    expect(b.stdout).toContain('Step 5/16 : RUN echo other > /other.txt');

    const r = sk(c, ['run', '--rm', '--network', 'none', 'lab/ms:v1']);
    expect(r.status, r.stderr).toBe(0);
    // /out/gone was deleted by a later RUN of the builder stage: its whiteout is honoured
    expect(r.stdout).toBe('hello\nlink\nnote.txt\nhello\nfrom the context\nls: /other.txt: No such file or directory\nbb\n');

    const cfg = JSON.parse(sk(c, ['image', 'inspect', 'lab/ms']).stdout)[0].Config;
    expect(cfg.Healthcheck).toEqual({ Test: ['CMD', 'true'], Interval: 5e9, Timeout: 3e9, StartPeriod: 1e9, Retries: 2 });
    expect(cfg.StopSignal).toBe('SIGINT');
    expect(cfg.Volumes).toEqual({ '/data': {} });
    expect(cfg.Shell).toEqual(['/bin/sh', '-ec']);
    expect(cfg.OnBuild).toEqual(['RUN echo "trigger ran" > /trigger.txt']);
  }, 240_000);

  itWhen(conds(mode), 'ONBUILD triggers run in a build FROM the image, and are not inherited', () => {
    const c = caller();
    const b = sk(c, ['build', '-f', join(ctx, 'Dockerfile.child'), '-t', 'lab/ms-child', ctx]);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/^Step 1\/2 : FROM lab\/ms\n# Executing 1 build trigger\n ---> Running in [0-9a-f]{12}\n/);
    const r = sk(c, ['run', '--rm', '--network', 'none', 'lab/ms-child']);
    expect(r.stdout).toBe('trigger ran\n');
    expect(JSON.parse(sk(c, ['image', 'inspect', 'lab/ms-child']).stdout)[0].Config.OnBuild ?? null).toBeNull();
  }, 240_000);

  itWhen(conds(mode), '--target stops at a stage; the image is that stage', () => {
    const c = caller();
    const b = sk(c, ['build', '--target', 'builder', '-t', 'lab/ms-builder', ctx]);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toContain('Step 3/3 : RUN rm /out/gone');
    expect(sk(c, ['run', '--rm', '--network', 'none', 'lab/ms-builder', 'ls', '/out']).stdout).toBe('hello\nlink\n');
    const bad = sk(c, ['build', '--target', 'nope', ctx]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('failed to reach build target nope in Dockerfile');
  }, 240_000);

  itWhen(conds(mode), 'bad input: Docker\'s exit codes, one line, no image made', () => {
    const c = caller();
    const before = sk(c, ['images', '-q']).stdout;
    const mount = sk(c, ['build', '-f', join(ctx, 'Dockerfile.bad'), ctx]);
    expect(mount.status).toBe(1);
    expect(mount.stderr).toBe('skiff: Dockerfile:2: RUN --mount requires BuildKit; skiff builds as Docker\'s classic builder, which has no --mount. remove --mount from the RUN instruction\n');
    const missing = sk(c, ['build', join(ctx, 'nope')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('unable to prepare context: path');
    const fromNone = sk(c, ['build', '-'], 'FROM diamol/base\nCOPY --from=nostage /x /x\n');
    expect(fromNone.status).toBe(1);
    expect(fromNone.stderr).toMatch(/nostage/);
    const runFails = sk(c, ['build', '-'], 'FROM diamol/base\nRUN exit 7\n');
    expect(runFails.status).toBe(7);
    expect(runFails.stderr).toContain('The command \'/bin/sh -c exit 7\' returned a non-zero code: 7');
    expect(sk(c, ['images', '-q']).stdout).toBe(before);
  }, 240_000);
});
