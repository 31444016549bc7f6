// A rootless service pushes to and pulls from a registry on the host's loopback: `docker login`,
// `docker push`, `docker rmi`, `docker pull` and a run of what came back, as an ordinary user whose
// service lives in its engine namespace (slirp4netns --disable-host-loopback). The registry traffic
// goes through the host-side relay (src/rootless/loopback-relay.ts); containers still cannot reach
// the host's loopback. Network rule: the registry is on loopback in the suite's own netns.
import { afterAll, describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needCommand, needFile, needRoot, needUserns } from '../helpers/conditions.js';
import { assertSuiteNetns } from '../helpers/netns.js';
import { userStore } from '../helpers/engine.js';
import { ensureTestUser, type TestUser } from '../helpers/users.js';
import { startService, type Service } from '../helpers/api-service.js';
import { startRegistry, type Registry } from '../helpers/registry.js';
import type { Store } from '../helpers/skiff.js';

const DOCKER = '/usr/local/bin/docker';

let store: Store | undefined;
let svc: Service | undefined;
let reg: Registry | undefined;
const dirs: string[] = [];
afterAll(async () => {
  await svc?.stop();
  await reg?.stop();
  store?.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function asUser(user: TestUser, env: Record<string, string>, cmd: string, args: string[], input?: string) {
  return spawnSync('setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', cmd, ...args],
    { encoding: 'utf8', input, timeout: 180_000, env: { PATH: process.env.PATH!, HOME: user.home, ...env } });
}

describe('rootless service and a registry on the host\'s loopback', () => {
  itWhen([needRoot, needUserns, needCommand('setpriv'), needCommand('slirp4netns'), needCommand('umoci'), needCommand('htpasswd'), needFile('/usr/bin/docker-registry'), needFile(DOCKER)],
    'docker login, push, pull and run through an ordinary user\'s service', async () => {
      assertSuiteNetns();
      const user = ensureTestUser(true);
      store = userStore(user, 'skiff-e2e-rl-reg-');
      const lab = asUser(user, store.env, join(process.cwd(), 'bin/skiff'), ['lab', 'load']);
      expect(lab.status, lab.stderr).toBe(0);
      reg = await startRegistry({ kind: 'htpasswd', user: 'tester', password: 'sekrit' });
      svc = await startService(store.root, { user });
      const config = mkdtempSync('/tmp/skiff-docker-config-');
      dirs.push(config);
      chownSync(config, user.uid, user.gid);
      const docker = (args: string[], input?: string) => asUser(user, { DOCKER_HOST: `unix://${svc!.socket}`, DOCKER_CONFIG: config }, DOCKER, args, input);
      const fail = (what: string, r: { stderr: string; stdout: string }) => `${what}: ${r.stdout}${r.stderr}\nservice log:\n${svc!.log()}`;

      // The relay's socket: the user's own, 0600, in the store's run dir.
      const sock = join(store.root, 'run', 'host-loopback.sock');
      const st = statSync(sock);
      expect(st.uid).toBe(user.uid);
      expect(st.mode & 0o777).toBe(0o600);

      const login = docker(['login', reg.host, '-u', 'tester', '--password-stdin'], 'sekrit\n');
      expect(login.status, fail('login', login)).toBe(0);
      expect(login.stdout).toContain('Login Succeeded');
      const bad = docker(['login', reg.host, '-u', 'tester', '--password-stdin'], 'wrong\n');
      expect(bad.status).toBe(1);

      const ref = `${reg.host}/rootless/hello:1`;
      expect(docker(['tag', 'diamol/ch02-hello-diamol', ref]).status).toBe(0);
      const push = docker(['push', ref]);
      expect(push.status, fail('push', push)).toBe(0);
      expect(push.stdout).toMatch(/^1: digest: sha256:[0-9a-f]{64} size: \d+$/m);
      // It is in the registry (read on disk: the registry's storage is the test's).
      expect(readdirSync(join(reg.dir, 'data', 'docker', 'registry', 'v2', 'repositories', 'rootless', 'hello', '_manifests', 'tags'))).toEqual(['1']);

      expect(docker(['rmi', ref]).status).toBe(0);
      const pull = docker(['pull', ref]);
      expect(pull.status, fail('pull', pull)).toBe(0);
      expect(pull.stdout).toContain(`Status: Downloaded newer image for ${ref}`);
      const run = docker(['run', '--rm', '--network', 'none', ref]);
      expect(run.status, fail('run', run)).toBe(0);
      expect(run.stdout).toContain('Hello from Chapter 2!');

      // The uplink is unchanged: a container still cannot reach the host's loopback (10.0.2.2 is
      // slirp4netns's gateway, the host, which --disable-host-loopback keeps it from).
      const probe = docker(['run', '--rm', 'diamol/base', 'sh', '-c', `nc -w 3 10.0.2.2 ${reg.port} </dev/null 2>&1; echo "exit $?"`]);
      expect(probe.stdout, fail('probe', probe)).toMatch(/can't connect to remote host \(10\.0\.2\.2\)/);
      expect(probe.stdout).toMatch(/exit 1$/m);
    }, 400_000);
});
