// `docker import` through the real docker CLI (docker 28 and Debian's 20.10) against `skiff system
// service`: POST /images/create?fromSrc=- with the tar as the body (from stdin and from a file), `repo`
// with its tag, `changes` and `message`; fromSrc=URL from a server the test runs on loopback, and a URL
// nobody answers, which must fail saying which URL and why. Network rule: loopback in the suite's netns.
import { afterAll, describe, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { itWhen, needCommand, needFile, needRoot } from '../helpers/conditions.js';
import { assertSuiteNetns } from '../helpers/netns.js';
import { skiff, tempStore, type Store } from '../helpers/skiff.js';
import { startService, type Service } from '../helpers/api-service.js';
import { freePort } from '../helpers/registry.js';

const DOCKER28 = '/usr/local/bin/docker';
const DOCKER20 = '/usr/bin/docker';

const stores: Store[] = [];
const services: Service[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of services) await s.stop();
  for (const s of stores) s.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Result = { status: number | null; stdout: string; stderr: string; raw: Buffer };

/** The docker CLI without blocking this process (the URL test's server runs in it). */
function dockerClient(bin: string, socket: string): (args: string[], input?: Buffer) => Promise<Result> {
  const config = mkdtempSync('/tmp/skiff-docker-config-');
  dirs.push(config);
  const env = { PATH: process.env.PATH!, HOME: '/root', DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: config };
  return (args, input) => new Promise((resolve) => {
    const child = spawn(bin, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      const raw = Buffer.concat(out);
      resolve({ status, stdout: raw.toString(), stderr, raw });
    });
  });
}

async function importFamily(docker: (args: string[], input?: Buffer) => Promise<Result>, work: string): Promise<void> {
  const tag = randomBytes(3).toString('hex');
  // A root filesystem to import: a lab container's, exported through the same service.
  const made = await docker(['create', '--network', 'none', 'diamol/base', 'true']);
  expect(made.status, made.stderr).toBe(0);
  const exported = await docker(['export', made.stdout.trim()]);
  expect(exported.status, exported.stderr).toBe(0);
  expect(exported.raw.length).toBeGreaterThan(10_000);
  await docker(['rm', made.stdout.trim()]);
  const tar = join(work, 'rootfs.tar');
  writeFileSync(tar, exported.raw);

  // From stdin: repo:tag, two changes, a message.
  const fromStdin = await docker(['import', '-c', 'ENV GREETING=imported', '-c', 'CMD ["sh", "-c", "echo $GREETING"]', '-m', 'from stdin', '-', `imp-stdin:${tag}`], exported.raw);
  expect(fromStdin.status, fromStdin.stderr).toBe(0);
  expect(fromStdin.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
  const ran = await docker(['run', '--rm', '--network', 'none', `imp-stdin:${tag}`]);
  expect(ran.stderr).toBe('');
  expect(ran.stdout).toBe('imported\n');
  const hist = await docker(['history', '--no-trunc', '--format', '{{.Comment}}', `imp-stdin:${tag}`]);
  expect(hist.stdout).toBe('from stdin\n');
  const inspect = await docker(['image', 'inspect', '--format', '{{.Id}} {{json .Config.Cmd}} {{.RepoTags}}', `imp-stdin:${tag}`]);
  expect(inspect.stdout).toBe(`${fromStdin.stdout.trim()} ["sh","-c","echo $GREETING"] [imp-stdin:${tag}]\n`);

  // From a file (the CLI sends it as the body too); no repository: an untagged image.
  const fromFile = await docker(['import', tar]);
  expect(fromFile.status, fromFile.stderr).toBe(0);
  expect(fromFile.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
  const dangling = await docker(['images', '-q', '--no-trunc', '--filter', 'dangling=true']);
  expect(dangling.stdout).toContain(fromFile.stdout.trim());

  // From a URL on loopback: the service downloads it.
  const server = createServer((req, res) => {
    if (req.url === '/rootfs.tar') res.writeHead(200, { 'Content-Type': 'application/x-tar' }).end(readFileSync(tar));
    else res.writeHead(404).end();
  });
  const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
  try {
    const fromUrl = await docker(['import', '-c', 'CMD ["echo", "from a URL"]', `http://127.0.0.1:${port}/rootfs.tar`, `imp-url:${tag}`]);
    expect(fromUrl.status, fromUrl.stderr).toBe(0);
    expect((await docker(['run', '--rm', '--network', 'none', `imp-url:${tag}`])).stdout).toBe('from a URL\n');
    const notFound = await docker(['import', `http://127.0.0.1:${port}/missing.tar`]);
    expect(notFound.status).toBe(1);
    expect(notFound.stderr).toContain(`Get "http://127.0.0.1:${port}/missing.tar": the server answered 404`);
  } finally {
    server.close();
  }
  // A URL nobody answers (this machine is offline): a clear refusal naming it, nothing imported.
  const dead = `http://127.0.0.1:${await freePort()}/rootfs.tar`;
  const before = (await docker(['images', '-aq'])).stdout;
  const refused = await docker(['import', dead, `imp-dead:${tag}`]);
  expect(refused.status).toBe(1);
  // dockerd 20.10's words, compared by hand: Get "URL": dial tcp 127.0.0.1:P: connect: connection refused
  expect(refused.stderr).toContain(`Get "${dead}": dial tcp 127.0.0.1:${new URL(dead).port}: connect: connection refused`);
  expect((await docker(['images', '-aq'])).stdout).toBe(before);
  // A change that is not allowed: dockerd's message, word for word.
  const from = await docker(['import', '-c', 'FROM scratch', '-', `imp-from:${tag}`], exported.raw);
  expect(from.status).toBe(1);
  expect(from.stderr.trim()).toBe('Error response from daemon: from is not a valid change command');
  // An empty body is refused as skiff import refuses it (dockerd makes an image with an empty layer).
  const empty = await docker(['import', '-', `imp-empty:${tag}`], Buffer.alloc(0));
  expect(empty.status).toBe(1);
  expect(empty.stderr).toContain('the archive is empty');
}

describe('docker import through the service (root)', () => {
  itWhen([needRoot, needCommand('umoci'), needFile(DOCKER28), needFile(DOCKER20)], 'docker 28 and docker 20.10: stdin, file, URL, refusals', async () => {
    assertSuiteNetns();
    const store = tempStore('skiff-e2e-import-');
    stores.push(store);
    const lab = skiff(['lab', 'load'], { env: store.env, timeout: 280_000 });
    expect(lab.status, lab.stderr).toBe(0);
    const svc = await startService(store.root);
    services.push(svc);
    for (const bin of [DOCKER28, DOCKER20]) {
      const work = mkdtempSync('/tmp/skiff-e2e-import-work-');
      dirs.push(work);
      await importFamily(dockerClient(bin, svc.socket), work).catch((e: Error) => {
        throw new Error(`${bin}: ${e.message}\nservice log:\n${svc.log()}`);
      });
    }
    // skiff's own CLI sees what the docker CLI imported, in the same store.
    const mine = spawnSync('sh', ['-c', `${join(process.cwd(), 'bin/skiff')} images --format '{{.Repository}}' | sort -u`], { env: { ...process.env, ...store.env }, encoding: 'utf8' });
    expect(mine.stdout).toContain('imp-stdin\n');
    expect(mine.stdout).toContain('imp-url\n');
    expect(mine.stdout).not.toContain('imp-dead');
  }, 400_000);
});
