// skiff-oci as runc: the verbs containerd and runtime-tools call, in their order (create → state →
// start → exec → kill → delete), the config.json features they rely on, hooks with the state on
// stdin, the pty master over --console-socket, rootless (runc's rules) and the clear refusals.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { itWhen, needRoot, needCommand, needUserns } from '../helpers/conditions.js';
import { makeBundle, ociRoot, skiffOci, SKIFF_OCI } from '../helpers/oci-bundle.js';
import { ensureTestUser, runAs } from '../helpers/users.js';

let root: ReturnType<typeof ociRoot>;
beforeAll(() => { root = ociRoot(); });
afterAll(() => {
  for (const id of existsSync(root.root) ? readdirSync(root.root) : []) skiffOci(root.root, ['delete', '--force', id]);
  root.dispose();
});

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
const state = (id: string) => JSON.parse(skiffOci(root.root, ['state', id]).stdout) as { status: string; pid?: number; bundle: string; id: string };

describe('skiff-oci lifecycle (root)', () => {
  itWhen([needRoot], 'create holds the init before exec; start runs it; exec joins it; kill and delete end it', () => {
    const b = makeBundle();
    try {
      const out = join(b.dir, 'out');
      b.config.process!.args = ['sh', '-c', `echo started > /tmp/marker; sleep 60`];
      b.write();
      const pidFile = join(b.dir, 'pid');
      const c = skiffOci(root.root, ['create', '--bundle', b.dir, '--pid-file', pidFile, 'life']);
      expect(c.status, c.stderr).toBe(0);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      expect(state('life')).toMatchObject({ id: 'life', status: 'created', pid, bundle: b.dir });
      // Not yet exec'd: the init is still the launcher's image, and the command has not run.
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('skiff-runtime');
      expect(existsSync(join(b.dir, 'rootfs/tmp/marker'))).toBe(false);
      expect(skiffOci(root.root, ['start', 'life']).status).toBe(0);
      expect(state('life').status).toBe('running');
      const e = skiffOci(root.root, ['exec', 'life', 'sh', '-c', 'cat /tmp/marker; echo $$; exit 7']);
      expect(e.stdout.split('\n')[0]).toBe('started');
      expect(Number(e.stdout.split('\n')[1])).toBeGreaterThan(1);
      expect(e.status).toBe(7);
      expect(JSON.parse(skiffOci(root.root, ['ps', '--format', 'json', 'life']).stdout)).toContain(pid);
      expect(skiffOci(root.root, ['list', '-q']).stdout).toBe('life\n');
      const d = skiffOci(root.root, ['delete', 'life']);
      expect(d.status).toBe(1);
      expect(d.stderr).toContain('it is running');
      expect(skiffOci(root.root, ['kill', 'life', 'KILL']).status).toBe(0);
      for (let i = 0; i < 100 && alive(pid); i++) spawnSync('sleep', ['0.02']);
      expect(state('life').status).toBe('stopped');
      expect(skiffOci(root.root, ['delete', 'life']).status).toBe(0);
      expect(skiffOci(root.root, ['state', 'life']).status).toBe(1);
      expect(existsSync(join(root.root, 'life'))).toBe(false);
      void out;
    } finally {
      b.dispose();
    }
  });

  itWhen([needRoot], 'applies config.json: user, groups, umask, rlimits, capabilities, no_new_privs, hostname, domainname, sysctl, masks, read-only root', () => {
    const b = makeBundle();
    try {
      const p = b.config.process!;
      p.user = { uid: 1000, gid: 1000, additionalGids: [5, 7], umask: 0o027 };
      p.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 321, hard: 654 }];
      p.capabilities = { bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] };
      p.noNewPrivileges = true;
      p.cwd = '/work/dir';
      p.env = ['PATH=/bin', 'FOO=bar'];
      b.config.hostname = 'oci-host';
      b.config.domainname = 'oci.example';
      b.config.root!.readonly = true;
      b.config.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
      p.args = ['sh', '-c', 'id; umask; ulimit -n; ulimit -Hn; grep -E "^(Cap|NoNewPrivs)" /proc/self/status; hostname; cat /proc/sys/kernel/domainname; cat /proc/sys/net/ipv4/ip_forward; pwd; echo $FOO; touch /x 2>/dev/null || echo root-ro; cat /proc/timer_list | wc -c; touch /proc/sys/y 2>/dev/null || echo procsys-ro'];
      b.write();
      const r = skiffOci(root.root, ['run', '--bundle', b.dir, 'features']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.split('\n')).toEqual([
        'uid=1000 gid=1000 groups=5,7', '0027', '321', '654',
        'CapInh:\t0000000000000020', 'CapPrm:\t0000000000000020', 'CapEff:\t0000000000000020', 'CapBnd:\t0000000000000021', 'CapAmb:\t0000000000000020',
        'NoNewPrivs:\t1', 'oci-host', 'oci.example', '1', '/work/dir', 'bar', 'root-ro', '0', 'procsys-ro', '',
      ]);
      expect(existsSync(join(root.root, 'features'))).toBe(false);
    } finally {
      b.dispose();
    }
  });

  itWhen([needRoot], 'run returns the exit code; a missing command fails create with exit 1 and leaves nothing', () => {
    const b = makeBundle();
    try {
      b.config.process!.args = ['sh', '-c', 'exit 42'];
      b.write();
      expect(skiffOci(root.root, ['run', '--bundle', b.dir, 'exit42']).status).toBe(42);
      b.config.linux!.maskedPaths = ['/proc/kcore'];
      b.config.mounts!.push({ destination: '/data', type: 'bind', source: '/nonexistent-skiff-src', options: ['rbind'] });
      b.write();
      const r = skiffOci(root.root, ['create', '--bundle', b.dir, 'broken']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/container setup failed at child step "bind \/nonexistent-skiff-src \/data.*ENOENT/);
      expect(readdirSync(root.root)).not.toContain('broken');
    } finally {
      b.dispose();
    }
  });

  itWhen([needRoot], 'runs the hooks with the state on stdin, and writes --log as JSON on failure', () => {
    const b = makeBundle();
    try {
      const hook = join(b.dir, 'hook.sh');
      writeFileSync(hook, '#!/bin/sh\ncat > "$1"\n');
      chmodSync(hook, 0o755);
      b.config.hooks = {
        prestart: [{ path: hook, args: ['hook', join(b.dir, 'prestart.json')] }],
        poststart: [{ path: hook, args: ['hook', join(b.dir, 'poststart.json')] }],
        poststop: [{ path: hook, args: ['hook', join(b.dir, 'poststop.json')] }],
      };
      b.config.process!.args = ['sleep', '30'];
      b.write();
      expect(skiffOci(root.root, ['create', '--bundle', b.dir, 'hooked']).status).toBe(0);
      const pre = JSON.parse(readFileSync(join(b.dir, 'prestart.json'), 'utf8'));
      expect(pre).toMatchObject({ id: 'hooked', status: 'created', bundle: b.dir });
      expect(pre.pid).toBe(state('hooked').pid);
      expect(skiffOci(root.root, ['start', 'hooked']).status).toBe(0);
      expect(JSON.parse(readFileSync(join(b.dir, 'poststart.json'), 'utf8'))).toMatchObject({ id: 'hooked', status: 'running' });
      expect(skiffOci(root.root, ['delete', '--force', 'hooked']).status).toBe(0);
      expect(JSON.parse(readFileSync(join(b.dir, 'poststop.json'), 'utf8'))).toMatchObject({ id: 'hooked', status: 'stopped' });
      const log = join(b.dir, 'log.json');
      const bad = skiffOci(root.root, ['--log', log, '--log-format', 'json', 'start', 'nope']);
      expect(bad.status).toBe(1);
      expect(JSON.parse(readFileSync(log, 'utf8').trim())).toMatchObject({ level: 'error', msg: expect.stringContaining('"nope" does not exist') });
    } finally {
      b.dispose();
    }
  });

  itWhen([needRoot], 'a config without a mount namespace: the init shares our mounts, chrooted; exec joins its root; delete takes its mounts away', () => {
    const b = makeBundle();
    try {
      b.config.linux!.namespaces = b.config.linux!.namespaces!.filter((n) => n.type !== 'mount');
      b.config.process!.args = ['sleep', '60'];
      writeFileSync(join(b.dir, 'rootfs/etc/marker'), 'inside\n');
      b.write();
      const rootfs = join(b.dir, 'rootfs');
      const mountsUnder = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => (l.split(' ')[4] ?? '').startsWith(`${rootfs}/`)).length;
      const c = skiffOci(root.root, ['create', '--bundle', b.dir, 'nomnt']);
      expect(c.status, c.stderr).toBe(0);
      const pid = state('nomnt').pid!;
      expect(readlinkSync(`/proc/${pid}/ns/mnt`)).toBe(readlinkSync('/proc/self/ns/mnt'));
      expect(readlinkSync(`/proc/${pid}/ns/pid`)).not.toBe(readlinkSync('/proc/self/ns/pid'));
      // Its /proc, /dev … are in our mount table, beneath its root.
      expect(mountsUnder()).toBeGreaterThan(0);
      expect(skiffOci(root.root, ['start', 'nomnt']).status).toBe(0);
      expect(readlinkSync(`/proc/${pid}/root`)).toBe(rootfs);
      const e = skiffOci(root.root, ['exec', 'nomnt', 'sh', '-c', 'cat /etc/marker; ls /proc/1/cmdline >/dev/null && cat /proc/1/cmdline']);
      expect(e.status, e.stderr).toBe(0);
      expect(e.stdout).toBe('inside\nsleep\x0060\x00');
      expect(skiffOci(root.root, ['delete', '--force', 'nomnt']).status).toBe(0);
      expect(mountsUnder()).toBe(0);
      // What would change the propagation of our own mounts is refused before anything starts.
      b.config.linux!.rootfsPropagation = 'rshared';
      b.write();
      const r = skiffOci(root.root, ['create', '--bundle', b.dir, 'prop']);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('rootfsPropagation without a mount namespace');
      expect(readdirSync(root.root)).not.toContain('prop');
    } finally {
      b.dispose();
    }
  });

  itWhen([needRoot, needUserns], 'a user namespace that maps root elsewhere (0 → 1000): the container\'s root makes its /dev/pts and runs', () => {
    const b = makeBundle();
    try {
      b.config.linux!.namespaces!.push({ type: 'user' });
      b.config.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1000 }];
      b.config.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1000 }];
      b.config.process!.args = ['sh', '-c', 'id -u; test -d /dev/pts && echo pts; cat /proc/self/uid_map'];
      b.write();
      const r = skiffOci(root.root, ['run', '--bundle', b.dir, 'mapped']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.split('\n').slice(0, 2)).toEqual(['0', 'pts']);
      expect(r.stdout.split('\n')[2]!.trim().split(/\s+/)).toEqual(['0', '1000', '1000']);
    } finally {
      b.dispose();
    }
  });

  itWhen([needRoot, needCommand('python3')], 'hands the pty master to --console-socket with SCM_RIGHTS', async () => {
    const b = makeBundle();
    try {
      b.config.process!.terminal = true;
      b.config.process!.args = ['sh', '-c', 'tty; echo through-the-pty'];
      b.write();
      const sock = join(b.dir, 'console.sock');
      // A console socket as containerd's: accept one connection, take the fd, read the terminal.
      const py = `import socket,os,sys
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); print("ready", flush=True)
c,_=s.accept(); msg,fds,_,_=socket.recv_fds(c,1024,1); out=b""
while b"through-the-pty" not in out:
  try: d=os.read(fds[0],4096)
  except OSError: break
  if not d: break
  out+=d
print(out.decode().replace("\\r",""), flush=True)`;
      const server = spawn('python3', ['-c', py, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      server.stdout.on('data', (d) => (text += d));
      // Up to 15 s: python's start on a loaded machine took more than the 2 s this waited before.
      for (let i = 0; i < 1500 && !text.includes('ready'); i++) await new Promise((r) => setTimeout(r, 10));
      expect(text).toContain('ready');
      const c = skiffOci(root.root, ['create', '--bundle', b.dir, '--console-socket', sock, 'tty']);
      expect(c.status, c.stderr).toBe(0);
      expect(skiffOci(root.root, ['start', 'tty']).status).toBe(0);
      await new Promise((r) => server.on('exit', r));
      expect(text).toMatch(/\/dev\/pts\/\d+\nthrough-the-pty/);
      skiffOci(root.root, ['delete', '--force', 'tty']);
    } finally {
      b.dispose();
    }
  });

  itWhen([needRoot], 'refuses what this host cannot do, with a clear error', () => {
    const r1 = skiffOci(root.root, ['--systemd-cgroup', 'list']);
    expect(r1.status).toBe(1);
    expect(r1.stderr).toContain('--systemd-cgroup');
    const r2 = skiffOci(root.root, ['pause', 'x']);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain('does not exist');
    const r3 = skiffOci(root.root, ['checkpoint', 'x']);
    expect(r3.stderr).toContain('not supported');
    const b = makeBundle();
    try {
      // No hugetlb hierarchy on this host: the setting is named, nothing is left behind.
      b.config.linux!.resources = { hugepageLimits: [{ pageSize: '2MB', limit: 1 << 22 }] };
      b.write();
      const r = skiffOci(root.root, ['create', '--bundle', b.dir, 'limits']);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('linux.resources.hugepageLimits');
      expect(readdirSync(root.root)).not.toContain('limits');
    } finally {
      b.dispose();
    }
    const f = JSON.parse(skiffOci(root.root, ['features']).stdout);
    expect(f.linux.namespaces).toContain('user');
  });
});

describe('skiff-oci rootless', () => {
  itWhen([needRoot, needUserns], 'an unprivileged user runs the config `spec --rootless` writes', () => {
    const u = ensureTestUser(false);
    const b = makeBundle('/tmp', false);
    try {
      const spec = spawnSync('rm', [join(b.dir, 'config.json')]);
      expect(spec.status).toBe(0);
      const w = runAs(u, SKIFF_OCI, ['spec', '--rootless', '--bundle', b.dir]);
      expect(w.status, w.stderr).toBe(1); // the bundle dir is root's: spec cannot write there
      chmodSync(b.dir, 0o777);
      expect(runAs(u, SKIFF_OCI, ['spec', '--rootless', '--bundle', b.dir]).status).toBe(0);
      const cfg = JSON.parse(readFileSync(join(b.dir, 'config.json'), 'utf8'));
      cfg.process.terminal = false;
      cfg.root.readonly = false;
      cfg.process.args = ['sh', '-c', 'id; cat /proc/self/uid_map; echo pid=$$'];
      writeFileSync(join(b.dir, 'config.json'), JSON.stringify(cfg));
      const r = runAs(u, SKIFF_OCI, ['--root', `/tmp/skiff-oci-rootless-${u.uid}`, 'run', '--bundle', b.dir, 'rl']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^uid=0 gid=0( groups=0)?\\n\\s+0\\s+${u.uid}\\s+1\\npid=1\\n$`));
    } finally {
      b.dispose();
      spawnSync('rm', ['-rf', `/tmp/skiff-oci-rootless-${u.uid}`]);
    }
  });
});
