// A real OCI registry for the suite: Debian's docker-registry on 127.0.0.1:<free port>, filesystem
// storage in a temp dir, optionally behind htpasswd basic auth or bearer tokens from a token server the
// test runs itself (JWT RS256 signed with a key/cert made by openssl). Images are seeded with umoci and
// skopeo, never with skiff.
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createSign, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as netServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { daemonLog } from './daemon-log.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = netServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export interface Registry { host: string; port: number; dir: string; stop(): Promise<void> }
export type RegistryAuth = { kind: 'none' } | { kind: 'htpasswd'; user: string; password: string } | { kind: 'token'; user: string; password: string };

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

/** A minimal Docker token service: checks Basic credentials, grants what the scope asks. */
async function startTokenServer(dir: string, issuer: string, service: string, user: string, password: string): Promise<{ server: Server; port: number; cert: string }> {
  const key = join(dir, 'token.key');
  const cert = join(dir, 'token.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=skiff-test-token'], { stdio: 'ignore' });
  const keyPem = readFileSync(key, 'utf8');
  const der = readFileSync(cert, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
      return;
    }
    const access = (u.searchParams.getAll('scope')).map((s) => {
      const [type, name, actions] = s.split(':');
      return { type, name, actions: (actions ?? '').split(',') };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [der] };
    const claims = { iss: issuer, sub: user, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = createSign('RSA-SHA256').update(input).sign(keyPem);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `${input}.${b64url(sig)}`, expires_in: 300 }));
  });
  const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
  return { server, port, cert };
}

export async function startRegistry(auth: RegistryAuth = { kind: 'none' }): Promise<Registry> {
  const dir = mkdtempSync('/tmp/skiff-registry-');
  const port = await freePort();
  let authYaml = '';
  let tokenServer: Server | undefined;
  if (auth.kind === 'htpasswd') {
    const file = join(dir, 'htpasswd');
    writeFileSync(file, execFileSync('htpasswd', ['-Bbn', auth.user, auth.password], { encoding: 'utf8' }));
    authYaml = `auth:\n  htpasswd:\n    realm: skiff-test\n    path: ${file}\n`;
  } else if (auth.kind === 'token') {
    const t = await startTokenServer(dir, 'skiff-test-issuer', 'skiff-test-registry', auth.user, auth.password);
    tokenServer = t.server;
    authYaml = `auth:\n  token:\n    realm: http://127.0.0.1:${t.port}/token\n    service: skiff-test-registry\n    issuer: skiff-test-issuer\n    rootcertbundle: ${t.cert}\n`;
  }
  mkdirSync(join(dir, 'data'));
  const config = join(dir, 'config.yml');
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${authYaml}`);
  const log = daemonLog(join(dir, 'registry.log'));
  const proc: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', log.fd, log.fd] });
  log.close();
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v2/`);
      await r.body?.cancel();
      if (r.status === 200 || r.status === 401) break;
    } catch {
      // not listening yet
    }
    if (i > 100 || proc.exitCode !== null) throw new Error(`docker-registry did not start: ${log.read()}`);
    await sleep(50);
  }
  return {
    host: `127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      proc.kill('SIGTERM');
      if (proc.exitCode === null) await new Promise((r) => proc.once('exit', r));
      tokenServer?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Build a small OCI image with umoci: `files` (path → content) in one layer on top of `base` files. */
export function umociImage(layout: string, tag: string, layers: Record<string, string>[], opts: { cmd?: string; arch?: string; from?: string } = {}): void {
  const bundle = mkdtempSync('/tmp/skiff-umoci-');
  try {
    if (opts.from) {
      // start from a copy of another layout (same tag), so the base layers are byte-identical
      execFileSync('cp', ['-a', opts.from, layout]);
    } else {
      execFileSync('umoci', ['init', '--layout', layout], { stdio: 'ignore' });
      execFileSync('umoci', ['new', '--image', `${layout}:${tag}`], { stdio: 'ignore' });
    }
    for (const files of layers) {
      rmSync(bundle, { recursive: true, force: true });
      execFileSync('umoci', ['unpack', '--rootless', '--image', `${layout}:${tag}`, bundle], { stdio: 'ignore' });
      for (const [p, content] of Object.entries(files)) {
        mkdirSync(join(bundle, 'rootfs', p, '..'), { recursive: true });
        writeFileSync(join(bundle, 'rootfs', p), content);
      }
      execFileSync('umoci', ['repack', '--image', `${layout}:${tag}`, bundle], { stdio: 'ignore' });
    }
    execFileSync('umoci', ['config', '--image', `${layout}:${tag}`, '--config.cmd', opts.cmd ?? '/bin/true', ...(opts.arch ? ['--architecture', opts.arch] : [])], { stdio: 'ignore' });
  } finally {
    rmSync(bundle, { recursive: true, force: true });
  }
}

/** Async on purpose: a token server in the test process must keep answering while skopeo runs. */
export async function skopeoCopy(src: string, dest: string, extra: string[] = []): Promise<void> {
  await promisify(execFile)('skopeo', ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', ...extra, src, dest]);
}

export function skopeoDigest(ref: string, extra: string[] = []): string {
  const out = execFileSync('skopeo', ['inspect', '--tls-verify=false', ...extra, '--format', '{{.Digest}}', ref], { encoding: 'utf8' });
  return out.trim();
}
