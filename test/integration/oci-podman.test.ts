// podman 4.3 with skiff-oci as its runtime (`--runtime bin/skiff-oci`), on a private store under a
// temp dir: `run --rm` and `run -d` + `exec` + `rm -f` of a lab image. Podman's cgroupfs manager sends
// cgroupsPath and a pids limit; `--pids-limit 0` asks for none (skiff-oci refuses limits on this host),
// and `--cgroups disabled` is reserved by podman to runtimes it knows (crun), so it is not used here.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { itWhen, needCommand, needFile, needRoot } from '../helpers/conditions.js';
import { SKIFF_OCI } from '../helpers/oci-bundle.js';

const LAYOUT = resolve('rootfs/build/lab/docker.io/diamol/base');
let dir = '';
let image = '';
const canRun = () => needRoot() ?? needCommand('podman')() ?? needFile(LAYOUT)();
const podman = (args: string[]) => spawnSync('podman', [
  '--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs',
  '--events-backend', 'file', '--runtime', SKIFF_OCI, ...args], { encoding: 'utf8', input: '', timeout: 90_000 });
const RUN = ['run', '--network', 'none', '--pids-limit', '0', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

beforeAll(() => {
  if (canRun()) return;
  dir = mkdtempSync('/tmp/skiff-podman-');
  const pull = podman(['pull', '-q', `oci:${LAYOUT}`]);
  expect(pull.status, pull.stderr).toBe(0);
  image = pull.stdout.trim();
}, 120_000);

afterAll(() => {
  if (!dir) return;
  podman(['rm', '-a', '-f', '-t', '0']);
  rmSync(dir, { recursive: true, force: true });
});

describe('podman with skiff-oci as its runtime', () => {
  itWhen([canRun], 'run --rm prints the container\'s output and its exit code', () => {
    const r = podman([...RUN, '--rm', image, 'sh', '-c', 'echo hello from podman; echo pid=$$; exit 4']);
    expect(r.stdout).toBe('hello from podman\npid=1\n');
    expect(r.status).toBe(4);
    expect(podman(['ps', '-a', '-q']).stdout).toBe('');
  });

  itWhen([canRun], 'run -d, exec into it, rm -f', () => {
    const d = podman([...RUN, '-d', image, 'sleep', '300']);
    expect(d.status, d.stderr).toBe(0);
    const id = d.stdout.trim();
    expect(podman(['ps', '--format', '{{.ID}} {{.Status}}']).stdout).toMatch(new RegExp(`^${id.slice(0, 12)} Up`));
    const e = podman(['exec', id, 'sh', '-c', 'echo exec-ok; cat /proc/1/cmdline']);
    expect(e.stdout).toBe('exec-ok\nsleep\u0000300\u0000');
    expect(podman(['rm', '-f', '-t', '0', id]).status).toBe(0);
    expect(podman(['ps', '-a', '-q']).stdout).toBe('');
  });
});
