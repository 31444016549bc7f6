// Debian's dockerd (20.10, with its own containerd and runc) as a reference engine for side-by-side
// tests, started offline in namespaces of its own below the suite's: a fresh network namespace (its
// docker0 bridge and iptables rules land there, never in the machine's tables) and a private mount
// namespace with tmpfs over /run and /etc/docker (so containerd's fifos and dockerd's key.json stay
// out of the host's). Its data-root, exec-root, pidfile and socket live under one temp dir.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { daemonLog } from './daemon-log.js';

export const DOCKERD = '/usr/sbin/dockerd';

export interface Dockerd {
  dir: string;
  socket: string;
  /** The environment a docker CLI needs to talk to this daemon (and no other). */
  env: Record<string, string>;
  /** dockerd's network namespace (its published ports are on its loopback). */
  netns: string;
  stop(): Promise<void>;
}

const START_SCRIPT = `
set -e
ip link set lo up
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /etc/docker && mount -t tmpfs -o mode=0700 tmpfs /etc/docker
exec "$@"`;

export async function startDockerd(cli = '/usr/local/bin/docker'): Promise<Dockerd> {
  const dir = mkdtempSync('/tmp/skiff-dockerd-');
  const socket = join(dir, 'docker.sock');
  const tag = dir.slice(dir.lastIndexOf('-') + 1);
  const log = daemonLog(join(dir, 'dockerd.log'));
  const child: ChildProcess = spawn('unshare', ['--net', '--mount', '--propagation', 'private', '--fork', '--kill-child', '--', 'sh', '-c', START_SCRIPT, 'sh',
    DOCKERD, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'dockerd.pid'),
    '-H', `unix://${socket}`, '--containerd-namespace', `skiff-test-${tag}`, '--containerd-plugins-namespace', `skiff-test-${tag}-p`,
    '--cgroup-parent', `/skiff-test-dockerd-${tag}`, '--log-level', 'warn'], { stdio: ['ignore', log.fd, log.fd] });
  log.close();
  const config = join(dir, 'config');
  const env = { PATH: process.env.PATH!, HOME: '/root', DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: config, TZ: 'UTC' };
  for (let i = 0; ; i++) {
    if (existsSync(socket) && spawnSync(cli, ['version', '--format', '{{.Server.Version}}'], { env, stdio: 'ignore' }).status === 0) break;
    if (i > 300 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`dockerd did not come up:\n${log.read()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dir,
    socket,
    env,
    netns: `/proc/${readFileSync(join(dir, 'dockerd.pid'), 'utf8').trim()}/ns/net`,
    async stop() {
      // Its containers first (their shims would otherwise outlive the daemon), then dockerd itself,
      // which takes its containerd along; the namespaces and their mounts go with the last process.
      const ids = spawnSync(cli, ['ps', '-aq'], { env, encoding: 'utf8', timeout: 10_000 }).stdout?.trim();
      if (ids) spawnSync(cli, ['rm', '-f', ...ids.split('\n')], { env, stdio: 'ignore', timeout: 30_000 });
      const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
      try {
        process.kill(Number(readFileSync(join(dir, 'dockerd.pid'), 'utf8')), 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
      // --kill-child: killing unshare takes dockerd (and so its containerd) along.
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      clearTimeout(timer);
      // The (now empty) cgroup parent dockerd made in each hierarchy.
      for (const h of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
        try {
          rmdirSync(join('/sys/fs/cgroup', h, `skiff-test-dockerd-${tag}`));
        } catch { /* not made in this hierarchy, or not a hierarchy */ }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
