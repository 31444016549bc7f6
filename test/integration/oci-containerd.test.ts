// containerd 1.6 drives skiff-oci as its runc binary: the suite starts its own containerd in a
// private mount namespace with every directory under a temp dir, imports a lab image (an OCI layout
// tarred) and runs it through `ctr --runc-binary bin/skiff-oci`: foreground, detached, with a tty,
// `task exec`, `kill`, `delete`.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { itWhen, needCommand, needRoot, needFile } from '../helpers/conditions.js';
import { SKIFF_OCI } from '../helpers/oci-bundle.js';

const LAYOUT = resolve('rootfs/build/lab/docker.io/diamol/base');
const IMAGE = 'docker.io/diamol/base:latest';
let dir = '';
let daemon: ChildProcess | undefined;

const ctr = (args: string[], timeout = 60_000) =>
  spawnSync('ctr', ['--address', join(dir, 'sock'), ...args], { encoding: 'utf8', timeout, input: '' });
const canRun = () => needRoot() ?? needCommand('containerd')() ?? needCommand('ctr')() ?? needFile(LAYOUT)();

beforeAll(async () => {
  if (canRun()) return;
  dir = mkdtempSync('/tmp/skiff-containerd-');
  writeFileSync(join(dir, 'config.toml'), [
    'version = 2', `root = "${dir}/root"`, `state = "${dir}/state"`, 'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]', `  address = "${dir}/sock"`, '[ttrpc]', `  address = "${dir}/sock.ttrpc"`,
  ].join('\n'));
  daemon = spawn('unshare', ['-m', '--propagation', 'private', 'containerd', '--config', join(dir, 'config.toml')], { stdio: 'ignore' });
  for (let i = 0; i < 300 && ctr(['version'], 5_000).status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
  const tar = join(dir, 'base.tar');
  expect(spawnSync('tar', ['-C', LAYOUT, '-cf', tar, '.']).status).toBe(0);
  const imp = ctr(['images', 'import', '--base-name', 'docker.io/diamol/base', tar], 120_000);
  expect(imp.status, imp.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  if (!daemon) return;
  // A test that failed halfway leaves its task: end it, so its shim leaves too.
  for (const id of ctr(['task', 'ls', '-q']).stdout.split('\n').filter(Boolean)) {
    ctr(['task', 'kill', '-s', 'KILL', id]);
    spawnSync('sleep', ['0.3']);
    ctr(['task', 'delete', '--force', id]);
  }
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon!.on('exit', r));
  // containerd leaves its shims' sockets; the shims end with their containers.
  rmSync(dir, { recursive: true, force: true });
});

describe('containerd with skiff-oci as its runtime', () => {
  const run = ['run', '--runc-binary', SKIFF_OCI];

  itWhen([canRun], 'runs a lab image in the foreground and returns its exit code', () => {
    const r = ctr([...run, '--rm', IMAGE, 'fg', 'sh', '-c', 'echo hello from containerd; echo pid=$$; exit 3']);
    expect(r.stdout).toBe('hello from containerd\npid=1\n');
    expect(r.status).toBe(3);
    expect(existsSync('/run/containerd/runc/default/fg')).toBe(false);
  });

  itWhen([canRun], 'runs detached, execs into it, kills and deletes it', () => {
    const d = ctr([...run, '-d', IMAGE, 'bg', 'sleep', '300']);
    expect(d.status, d.stderr).toBe(0);
    expect(ctr(['task', 'ls']).stdout).toMatch(/bg\s+\d+\s+RUNNING/);
    const e = ctr(['task', 'exec', '--exec-id', 'e1', 'bg', 'sh', '-c', 'echo exec-ok; cat /proc/1/cmdline']);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toBe('exec-ok\nsleep\u0000300\u0000');
    expect(ctr(['task', 'kill', '-s', 'KILL', 'bg']).status).toBe(0);
    let ls = '';
    for (let i = 0; i < 100 && !/STOPPED/.test(ls); i++) { spawnSync('sleep', ['0.05']); ls = ctr(['task', 'ls']).stdout; }
    expect(ls).toMatch(/bg\s+\d+\s+STOPPED/);
    expect(ctr(['task', 'delete', 'bg']).status).toBe(0);
    expect(ctr(['containers', 'rm', 'bg']).status).toBe(0);
    expect(ctr(['containers', 'ls', '-q']).stdout).toBe('');
  });

  itWhen([canRun, needCommand('script')], 'gives the container a terminal (console socket) with -t', () => {
    // script(1) gives ctr the terminal it wants on its stdin.
    const r = spawnSync('script', ['-qec', `ctr --address ${join(dir, 'sock')} run -t --rm --runc-binary ${SKIFF_OCI} ${IMAGE} tty sh -c 'tty; echo tty-ok'`, '/dev/null'],
      { encoding: 'utf8', input: '', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.replace(/\r/g, '')).toMatch(/\/dev\/pts\/\d+\ntty-ok/);
  });
});
