// `docker build` through `skiff system service` (POST /build and skiff's own builder): the real docker
// CLI with the classic builder (DOCKER_BUILDKIT=0) — docker 28 and Debian's 20.10, root, and docker 28
// against an ordinary user's rootless service — and dockerode's buildImage. The CLI prints the classic
// builder's lines from the JSON stream, `Using cache` on a rebuild with the same id, and exits with
// the failing RUN's code; a Dockerfile that does not parse is moby's "Error response from daemon".
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needCommand, needFile, needRoot, needUserns } from '../helpers/conditions.js';
import { assertSuiteNetns } from '../helpers/netns.js';
import { tempStore, type Store } from '../helpers/skiff.js';
import { userStore } from '../helpers/engine.js';
import { ensureTestUser, type TestUser } from '../helpers/users.js';
import { startService, type Service } from '../helpers/api-service.js';

const DOCKER28 = '/usr/local/bin/docker';
const DOCKER20 = '/usr/bin/docker';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(prefix: string, user?: TestUser): string {
  const d = mkdtempSync(join('/tmp', prefix));
  dirs.push(d);
  chmodSync(d, 0o755);
  if (user) chownSync(d, user.uid, user.gid);
  return d;
}

function dockerClient(bin: string, socket: string, user?: TestUser) {
  const config = tmp('skiff-docker-config-', user);
  const env = { PATH: process.env.PATH!, HOME: user?.home ?? '/root', DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: config, DOCKER_BUILDKIT: '0' };
  return (args: string[], input?: string | Buffer) => {
    const [c, a] = user ? ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', bin, ...args]] as const : [bin, args] as const;
    const r = spawnSync(c, [...a], { encoding: 'utf8', env, input, timeout: 240_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
}

/** A context whose RUN line is its own (`marker`), so each session starts without cached steps. */
function context(marker: string, user?: TestUser): string {
  const ctx = tmp('skiff-docker-build-ctx-', user);
  writeFileSync(join(ctx, 'Dockerfile'), [
    'FROM diamol/base AS build',
    `RUN echo built > /built.txt # ${marker}`,
    'FROM diamol/base',
    'COPY --from=build /built.txt /',
    'COPY page.txt /',
    'HEALTHCHECK CMD ["true"]',
    'CMD ["cat", "/built.txt", "/page.txt"]',
  ].join('\n') + '\n');
  writeFileSync(join(ctx, 'page.txt'), 'page\n');
  writeFileSync(join(ctx, '.dockerignore'), 'secret\n');
  writeFileSync(join(ctx, 'secret'), 'not sent\n');
  if (user) for (const f of ['Dockerfile', 'page.txt', '.dockerignore', 'secret']) chownSync(join(ctx, f), user.uid, user.gid);
  return ctx;
}

/** One client's build session: first build, cached rebuild, a run of the image, and the errors. */
function buildSession(docker: ReturnType<typeof dockerClient>, ctx: string, tag: string): void {
  const first = docker(['build', '-t', tag, ctx]);
  expect(first.status, first.stderr).toBe(0);
  // (the base image is pulled on the way, as Docker's builder does: its pull lines come before " ---> ")
  expect(first.stdout).toMatch(/Step 1\/7 : FROM diamol\/base AS build\n[\s\S]*? ---> [0-9a-f]{12}\nStep 2\/7 : RUN echo built > \/built.txt # \S+\n ---> Running in ([0-9a-f]{12})\nRemoving intermediate container \1\n ---> [0-9a-f]{12}\n/);
  const id = /Successfully built ([0-9a-f]{12})\n/.exec(first.stdout)?.[1];
  expect(first.stdout).toContain(`Successfully tagged ${tag}:latest\n`);
  const again = docker(['build', '-t', tag, ctx]);
  expect(again.status, again.stderr).toBe(0);
  expect((again.stdout.match(/ ---> Using cache\n/g) ?? []).length).toBe(5);
  expect(/Successfully built ([0-9a-f]{12})\n/.exec(again.stdout)?.[1]).toBe(id);
  const run = docker(['run', '--rm', '--network', 'none', tag]);
  expect(run.stdout, run.stderr).toBe('built\npage\n');
  const inspect = JSON.parse(docker(['image', 'inspect', tag]).stdout)[0];
  expect(inspect.Id.slice(7, 19)).toBe(id);
  expect(inspect.Config.Healthcheck).toEqual({ Test: ['CMD', 'true'] });

  const fails = docker(['build', '-'], 'FROM diamol/base\nRUN exit 4\n');
  expect(fails.status).toBe(4);
  expect(fails.stderr).toContain("The command '/bin/sh -c exit 4' returned a non-zero code: 4");
  const parse = docker(['build', '-'], 'FORM diamol/base\n');
  expect(parse.status).toBe(1);
  expect(parse.stderr).toContain('Error response from daemon: Dockerfile:1: unknown instruction: FORM');
  const quiet = docker(['build', '-q', ctx]);
  expect(quiet.stdout).toMatch(new RegExp(`^sha256:${id}[0-9a-f]{52}\\n$`));
}

const base = [needRoot, needCommand('umoci')];

describe('docker build through skiff (root)', () => {
  let store: Store | undefined;
  let svc: Service | undefined;
  beforeAll(async () => {
    if (base.some((c) => c())) return;
    assertSuiteNetns();
    store = tempStore('skiff-e2e-build-');
    svc = await startService(store.root);
  });
  afterAll(async () => {
    await svc?.stop();
    store?.dispose();
  });

  itWhen([...base, needFile(DOCKER28)], 'docker 28, classic builder', () => {
    buildSession(dockerClient(DOCKER28, svc!.socket), context('docker28'), 'lab/via-docker28');
  }, 300_000);
  itWhen([...base, needFile(DOCKER20)], 'Debian\'s docker 20.10', () => {
    buildSession(dockerClient(DOCKER20, svc!.socket), context('docker20'), 'lab/via-docker20');
  }, 300_000);
  itWhen(base, 'dockerode buildImage: a tar stream in, the JSON stream and aux ID out; unsupported options refused by name', async () => {
    const { default: Docker } = await import('dockerode');
    const docker = new Docker({ socketPath: svc!.socket });
    const ctx = context('dockerode');
    const tar = execFileSync('tar', ['-cf', '-', '-C', ctx, '.']);
    const stream = await docker.buildImage(tar as unknown as NodeJS.ReadableStream, { t: 'lab/via-dockerode', buildargs: { X: '1' } });
    const msgs = await new Promise<Array<{ stream?: string; aux?: { ID: string }; error?: string }>>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null, res: unknown[]) => (err ? reject(err) : resolve(res as never))));
    expect(msgs.find((m) => m.error)).toBeUndefined();
    expect(msgs[0]!.stream).toBe('Step 1/7 : FROM diamol/base AS build\n');
    const aux = msgs.find((m) => m.aux)!.aux!.ID;
    expect(aux).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(msgs.map((m) => m.stream ?? '').join('')).toContain(`Successfully built ${aux.slice(7, 19)}\nSuccessfully tagged lab/via-dockerode:latest\n`);
    expect((await docker.getImage('lab/via-dockerode').inspect()).Id).toBe(aux);
    await expect(docker.buildImage(tar as unknown as NodeJS.ReadableStream, { t: 'x', memory: 1 << 30 } as never)).rejects.toThrow(/does not support the build option memory/);
  }, 300_000);
});

describe('docker build through skiff (rootless)', () => {
  let store: Store | undefined;
  let svc: Service | undefined;
  afterAll(async () => {
    await svc?.stop();
    store?.dispose();
  });
  itWhen([...base, needUserns, needCommand('setpriv'), needFile(DOCKER28)], 'docker 28 against an ordinary user\'s service', async () => {
    assertSuiteNetns();
    const user = ensureTestUser(true);
    store = userStore(user, 'skiff-e2e-build-rl-');
    svc = await startService(store.root, { user });
    buildSession(dockerClient(DOCKER28, svc.socket, user), context('rootless', user), 'lab/via-docker-rootless');
  }, 300_000);
});
