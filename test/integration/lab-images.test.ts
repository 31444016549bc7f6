// The lab images (rootfs/): real, verifiable OCI layouts that real tools read and real runtimes run.
// Network rule: the servers in the web images are reached only on 127.0.0.1 inside the container's
// own network namespace (crun creates one per container), never through the machine's.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { itWhen, needCommand, needFile, needRoot } from '../helpers/conditions.js';
import { buildLab } from '../../rootfs/build.js';

const LAB = resolve('rootfs/build/lab');
const IMAGES = [
  { repo: 'docker.io/diamol/base', tags: ['latest'] },
  { repo: 'docker.io/diamol/ch02-hello-diamol', tags: ['latest'] },
  { repo: 'docker.io/diamol/ch02-hello-diamol-web', tags: ['latest'] },
  { repo: 'docker.io/library/httpd', tags: [/^\d+\.\d+\.\d+$/, 'latest'] },
  // Debian's nginx under its own version, latest, and the chapter's 1.28.0 (which it stands in for).
  { repo: 'docker.io/library/nginx', tags: [/^\d+\.\d+\.\d+$/, 'latest', '1.28.0'] },
] as const;
const built = needFile(join(LAB, '.build-stamp.json'));

interface Descriptor { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }
interface Manifest { mediaType: string; config: Descriptor; layers: Descriptor[] }
interface Config {
  architecture: string; os: string; created: string;
  config: { Env?: string[]; Cmd?: string[]; WorkingDir?: string; ExposedPorts?: Record<string, object> };
  rootfs: { type: string; diff_ids: string[] };
  history: { created: string; created_by: string }[];
}

const blobPath = (dir: string, digest: string) => join(dir, 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
const readBlob = <T>(dir: string, digest: string): T => JSON.parse(readFileSync(blobPath(dir, digest), 'utf8')) as T;
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function indexOf(dir: string): Descriptor[] {
  return (JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] }).manifests;
}
function manifestOf(dir: string): { desc: Descriptor; manifest: Manifest; config: Config } {
  const desc = indexOf(dir)[0]!;
  const manifest = readBlob<Manifest>(dir, desc.digest);
  return { desc, manifest, config: readBlob<Config>(dir, manifest.config.digest) };
}

beforeAll(async () => {
  // Idempotent: a stamp comparison when the layouts are current (global setup normally built them).
  if (!existsSync(join(LAB, '.build-stamp.json'))) await buildLab();
}, 600_000);

describe('lab image layouts', () => {
  itWhen([built], 'every image is an OCI layout whose index names each tag once, all on one manifest', () => {
    for (const img of IMAGES) {
      const dir = join(LAB, img.repo);
      expect(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
      const entries = indexOf(dir);
      const tags = entries.map((e) => e.annotations?.['org.opencontainers.image.ref.name']);
      expect(tags).toHaveLength(img.tags.length);
      img.tags.forEach((t, i) => expect(tags[i]).toMatch(typeof t === 'string' ? new RegExp(`^${t}$`) : t));
      expect(new Set(entries.map((e) => e.digest)).size).toBe(1);
      expect(entries.every((e) => e.mediaType === 'application/vnd.oci.image.manifest.v1+json')).toBe(true);
    }
  });

  itWhen([built], 'every blob matches its digest and size, and every diff_id is the sha256 of the unzipped layer', () => {
    for (const img of IMAGES) {
      const dir = join(LAB, img.repo);
      const { desc, manifest, config } = manifestOf(dir);
      const manifestBytes = readFileSync(blobPath(dir, desc.digest));
      expect(sha256(manifestBytes)).toBe(desc.digest);
      expect(manifestBytes.length).toBe(desc.size);
      expect(manifest.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
      for (const d of [manifest.config, ...manifest.layers]) {
        const bytes = readFileSync(blobPath(dir, d.digest));
        expect(sha256(bytes), `${img.repo} ${d.digest}`).toBe(d.digest);
        expect(statSync(blobPath(dir, d.digest)).size).toBe(d.size);
      }
      expect(manifest.layers.every((l) => l.mediaType === 'application/vnd.oci.image.layer.v1.tar+gzip')).toBe(true);
      expect(config.rootfs.diff_ids).toEqual(manifest.layers.map((l) => sha256(gunzipSync(readFileSync(blobPath(dir, l.digest))))));
      expect(config).toMatchObject({ architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z' });
      expect(config.history).toHaveLength(manifest.layers.length);
      expect(config.config.Env?.some((e) => e.startsWith('PATH=/'))).toBe(true);
    }
  });

  itWhen([built], 'run configs are the chapter images\' and all diamol images share one base layer blob', () => {
    const cfg = Object.fromEntries(IMAGES.map((i) => [i.repo.split('/').slice(1).join('/'), manifestOf(join(LAB, i.repo))]));
    expect(cfg['diamol/base']!.config.config.Cmd).toEqual(['/bin/sh']);
    expect(cfg['diamol/ch02-hello-diamol']!.config.config).toMatchObject({ Cmd: ['/bin/sh', '-c', './cmd.sh'], WorkingDir: '/diamol' });
    expect(cfg['diamol/ch02-hello-diamol-web']!.config.config.ExposedPorts).toEqual({ '80/tcp': {} });
    expect(cfg['library/nginx']!.config.config).toMatchObject({ Cmd: ['nginx', '-g', 'daemon off;'], ExposedPorts: { '80/tcp': {} } });
    expect(cfg['library/httpd']!.config.config).toMatchObject({ Cmd: ['httpd-foreground'], WorkingDir: '/usr/local/apache2', ExposedPorts: { '80/tcp': {} } });
    const nginxLabels = (cfg['library/nginx']!.config.config as { Labels?: Record<string, string> }).Labels ?? {};
    expect(nginxLabels['io.skiff.lab.stands-in-for']).toBe('nginx:1.28.0');
    expect(nginxLabels['io.skiff.lab.note']).toMatch(/^Debian 12's nginx \d+\.\d+\.\d+ stands in for nginx:1\.28\.0 /);
    // The book's pull lines: base has 2 layers, hello-diamol 3, the first one shared ("Already exists").
    expect(cfg['diamol/base']!.manifest.layers).toHaveLength(2);
    expect(cfg['diamol/ch02-hello-diamol']!.manifest.layers).toHaveLength(3);
    const firsts = new Set(Object.values(cfg).map((c) => c.manifest.layers[0]!.digest));
    expect(firsts.size).toBe(1);
  });

  itWhen([built], 'layers are deterministic tars: sorted, mtime fixed, owner 0:0', () => {
    const dir = join(LAB, 'docker.io/diamol/ch02-hello-diamol');
    const { manifest } = manifestOf(dir);
    const r = spawnSync('tar', ['--list', '--verbose', '--numeric-owner', '--full-time', '-zf', blobPath(dir, manifest.layers[2]!.digest)], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).slice(-1)[0])).toEqual(['diamol/', 'diamol/cmd.sh']);
    for (const l of lines) expect(l).toMatch(/^\S+ 0\/0 +\d+ 2024-01-01 00:00:00 /);
    expect(lines[1]).toMatch(/^-rwxr-xr-x /);
  });

  itWhen([built, needCommand('skopeo')], 'skopeo reads every tag of every layout', () => {
    for (const img of IMAGES) {
      const dir = join(LAB, img.repo);
      for (const e of indexOf(dir)) {
        const tag = e.annotations!['org.opencontainers.image.ref.name']!;
        const r = spawnSync('skopeo', ['inspect', `oci:${dir}:${tag}`], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        const info = JSON.parse(r.stdout) as { Digest: string; Architecture: string; Layers: string[] };
        expect(info.Digest).toBe(e.digest);
        expect(info.Architecture).toBe('amd64');
      }
    }
  });

  itWhen([built, needCommand('apt-get'), needCommand('dpkg-deb')], 'a rebuild from scratch into other directories gives the same digests', async () => {
    // Two images cover every kind of layer (BusyBox + /etc, a Debian closure, recipe files) in ~10 s.
    const tmp = mkdtempSync('/tmp/skiff-lab-');
    try {
      const only = ['diamol/ch02-hello-diamol', 'library/nginx'];
      const again = await buildLab({ out: join(tmp, 'lab'), layers: join(tmp, 'layers'), only });
      expect(again.upToDate).toBe(false);
      for (const img of again.images) {
        const original = indexOf(join(LAB, 'docker.io', only[again.images.indexOf(img)]!))[0]!.digest;
        expect(img.manifestDigest).toBe(original);
        expect(img.dir.startsWith(tmp)).toBe(true);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});

// ---- running the images with crun (a runtime skiff does not share code with) ----

const DOCKER_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SYS_CHROOT', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP'];
const runnable = [built, needRoot, needCommand('umoci'), needCommand('crun')];
let work = '';
let seq = 0;

const bundles = new Map<string, { dir: string; spec: Record<string, any> }>();

/** Runs `args` (default: the image's own command) in `repo:tag` with crun; the bundle is unpacked once per image. */
function crunRun(repo: string, tag: string, args?: string[]): { status: number | null; stdout: string; stderr: string } {
  seq += 1;
  let b = bundles.get(`${repo}:${tag}`);
  if (!b) {
    const dir = join(work, `bundle-${bundles.size}`);
    const unpack = spawnSync('umoci', ['unpack', '--image', `${join(LAB, repo)}:${tag}`, dir], { encoding: 'utf8' });
    if (unpack.status !== 0) throw new Error(`umoci unpack failed: ${unpack.stderr}`);
    b = { dir, spec: JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) };
    bundles.set(`${repo}:${tag}`, b);
  }
  const bundle = b.dir;
  const spec = structuredClone(b.spec);
  const specPath = join(bundle, 'config.json');
  // This host's cgroups are hybrid and crun refuses cgroup resources there: run without cgroups.
  delete spec.linux.resources;
  spec.process.terminal = false;
  if (args) spec.process.args = args;
  for (const k of ['bounding', 'effective', 'permitted']) spec.process.capabilities[k] = DOCKER_CAPS; // Docker's default set
  writeFileSync(specPath, JSON.stringify(spec));
  // crun 1.8 also refuses to start while a v2 hierarchy with controllers is mounted beside v1 ones:
  // hide it in a private mount namespace of this one command. The container gets a real pipe and a
  // file as stdout/stderr, as under Docker (and skiff's shim): Node's stdio are sockets, and the
  // images' servers log by opening /dev/stdout, which a socket refuses (ENXIO).
  const errFile = join(work, `stderr-${seq}`);
  const script = 'set -o pipefail; umount /sys/fs/cgroup/unified 2>/dev/null; '
    + 'crun --root "$1" --cgroup-manager=disabled run --bundle "$2" "$3" 2>"$4" </dev/null | cat';
  // Its own PID namespace with --kill-child: if the run hangs and the timeout kills unshare, the
  // kernel takes crun and the container down with it — nothing is left behind.
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '--pid', '--fork', '--kill-child', 'bash', '-c', script, 'bash', join(work, 'state'), bundle,
    `lab-${process.pid}-${seq}`, errFile], { encoding: 'utf8', timeout: 30_000 });
  const stderr = existsSync(errFile) ? readFileSync(errFile, 'utf8') : '';
  return { status: r.status, stdout: r.stdout, stderr: stderr + r.stderr };
}

describe('lab images run under crun', () => {
  beforeAll(() => {
    work = mkdtempSync('/tmp/skiff-lab-run-');
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  itWhen(runnable, 'diamol/base runs /bin/true, reports /bin/false, and has curl', () => {
    expect(crunRun('docker.io/diamol/base', 'latest', ['/bin/true']).status).toBe(0);
    expect(crunRun('docker.io/diamol/base', 'latest', ['/bin/false']).status).toBe(1);
    const curl = crunRun('docker.io/diamol/base', 'latest', ['curl', '--version']);
    expect(curl.status, curl.stderr).toBe(0);
    expect(curl.stdout).toMatch(/^curl \d+\.\d+/);
  });

  itWhen(runnable, 'diamol/ch02-hello-diamol prints the chapter\'s greeting', () => {
    const r = crunRun('docker.io/diamol/ch02-hello-diamol', 'latest');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 5)).toEqual(['---------------------', 'Hello from Chapter 2!', '---------------------', 'My name is:', 'umoci-default']);
    expect(lines[6]).toBe('Im running on:');
    expect(lines[7]).toMatch(/^Linux \S+ x86_64$/);
    expect(lines[9]).toBe('My address is:');
  });

  itWhen(runnable, 'diamol/ch02-hello-diamol-web serves the chapter\'s page with Apache on port 80', () => {
    const r = crunRun('docker.io/diamol/ch02-hello-diamol-web', 'latest',
      ['/bin/sh', '-c', 'httpd-foreground & for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1/ && break; sleep 0.3; done; kill %1']);
    expect(r.stdout, r.stderr).toContain('Hello from Chapter 2!');
    expect(r.stderr).toMatch(/Apache\/2\.4\.\d+ .*configured/);
  });

  itWhen(runnable, 'library/nginx serves its default page on port 80', () => {
    const tag = indexOf(join(LAB, 'docker.io/library/nginx'))[0]!.annotations!['org.opencontainers.image.ref.name']!;
    const r = crunRun('docker.io/library/nginx', tag,
      ['/bin/sh', '-c', 'nginx -g "daemon off;" & for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1/ && break; sleep 0.3; done; sleep 0.3; kill %1']);
    expect(r.stdout, r.stderr).toContain('Welcome to nginx!');
    // The access log goes to the container's stdout (written just after the reply: hence the sleep above).
    expect(r.stdout, r.stderr).toMatch(/"GET \/ HTTP\/1\.1" 200/);
  });
});
