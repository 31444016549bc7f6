#!/usr/bin/env node
// `npm run test:lab`: prove what `vagrant up` builds. Boots the lab VM — Debian 12 from debootstrap
// (scripts/lab-image.sh, cached outside the repository), Debian's own kernel, systemd as pid 1 — under QEMU,
// copies the project in as Vagrant's rsync synced folder does, runs scripts/vagrant-provision.sh exactly as the
// Vagrantfile does (as root, LAB_USER/SKIFF_DIR in its environment), then, as the `vagrant` user over ssh (what
// `vagrant ssh` does), runs the chapter rootless with cgroup v2 limits, reaches `-p 8088:80` through a
// forwarded port from outside the VM (Vagrant's `forwarded_port`), reboots, and checks what must come back.
//
//   node scripts/test-lab.mjs [--json=FILE] [--keep] [--only=NAME,...]
//
// Network rule: the VM's only network is QEMU's user network with restrict=on — the guest can reach nothing
// outside; two host ports on 127.0.0.1 are forwarded in (ssh and the chapter's 8088).
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const jsonOut = opt('json');
const keep = argv.includes('--keep');
const only = opt('only')?.split(',');
const cache = process.env.SKIFF_LAB_CACHE || '/var/cache/skiff-lab';
const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(0);
const say = (m) => process.stderr.write(`[test-lab ${secs()}s] ${m}\n`);
const results = [];
let work = ''; // the run's scratch folder (seed, VM disk, console log), made once the image is there
let qemu;
const timings = {};

function finish(extra = {}) {
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ passed, failed, results, timings, ...extra }, null, 1) + '\n');
  say(`timings (s): ${JSON.stringify(timings)}`);
  say(`result: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

function fatal(what, detail) {
  results.push({ name: what, ok: false, detail });
  say(`FAIL ${what}: ${detail}`);
  cleanup();
  finish();
}

if (process.getuid() !== 0) {
  console.error('test:lab builds a disk image with debootstrap: run it as root');
  process.exit(1);
}
for (const [cmd, pkg] of [['qemu-system-x86_64', 'qemu-system-x86'], ['debootstrap', 'debootstrap'], ['qemu-img', 'qemu-utils'], ['ssh', 'openssh-client'], ['mkfs.ext4', 'e2fsprogs']]) {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status !== 0) {
    console.error(`test:lab needs ${cmd}: run scripts/install-deps.sh --with-tests (package ${pkg})`);
    process.exit(1);
  }
}

// ---------- the image (cached) ----------
const image = join(cache, 'image');
let t = Date.now();
const built = spawnSync(join(root, 'scripts/lab-image.sh'), [image], { stdio: ['ignore', 'inherit', 'inherit'] });
timings.image = Math.round((Date.now() - t) / 1000);
if (built.status !== 0) fatal('build the lab image', `scripts/lab-image.sh exited ${built.status}`);

// The lab images' Debian packages come from the host's mirror; a fresh clone has none yet, so the host builds
// them once (the same command the test suite runs) and the VM is handed the cache below.
if (!existsSync(join(root, 'rootfs/build/debs'))) {
  t = Date.now();
  const lab = spawnSync('npm', ['run', '-s', 'lab:build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  timings.labImages = Math.round((Date.now() - t) / 1000);
  if (lab.status !== 0) fatal('build the lab images on the host', `npm run lab:build exited ${lab.status}`);
}

// ---------- the synced folder and the seed disk ----------
work = mkdtempSync('/var/tmp/skiff-lab-run-');
function cleanup() {
  if (qemu && qemu.exitCode === null) qemu.kill('SIGKILL');
  if (!work) return;
  if (!keep) rmSync(work, { recursive: true, force: true });
  else say(`kept ${work}`);
}
process.on('SIGINT', () => { cleanup(); process.exit(130); });

t = Date.now();
const seed = join(work, 'seed');
const project = join(seed, 'skiff');
// What Vagrant's rsync copies: the tracked files, without the excluded build outputs (see Vagrantfile).
const files = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
for (const f of files) {
  if (!existsSync(join(root, f))) continue;
  mkdirSync(dirname(join(project, f)), { recursive: true });
  // verbatimSymlinks: else Node rewrites a relative link (bin/skiff → ../dist/…) as an absolute path on this host.
  cpSync(join(root, f), join(project, f), { dereference: false, preserveTimestamps: true, verbatimSymlinks: true });
}
// The VM has no network of its own: it is handed what its provisioning would download — the Debian
// packages of the lab images (rootfs/build/debs, the lab builder's cache) and an npm cache for the lockfile.
if (existsSync(join(root, 'rootfs/build/debs'))) cpSync(join(root, 'rootfs/build/debs'), join(project, 'rootfs/build/debs'), { recursive: true });
// The docker CLI a student brings (a static client binary; the VM has no network to fetch one): the Engine
// API check drives the user's skiff.service with it.
const dockerCli = spawnSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).stdout.trim();
if (!dockerCli) fatal('find the docker CLI', 'no docker on this host: run scripts/install-deps.sh --with-tests');
cpSync(dockerCli, join(seed, 'docker'));
const npmDir = join(work, 'npm-lock');
mkdirSync(npmDir);
for (const f of ['package.json', 'package-lock.json']) cpSync(join(root, f), join(npmDir, f));
const npmCache = join(seed, 'npm-cache');
const npmSeed = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--cache', npmCache], { cwd: npmDir, encoding: 'utf8' });
if (npmSeed.status !== 0) fatal('seed the npm cache', npmSeed.stderr.slice(-800));
const seedImg = join(work, 'seed.raw');
spawnSync('truncate', ['-s', '2G', seedImg]);
const mk = spawnSync('mkfs.ext4', ['-q', '-F', '-L', 'seed', '-d', seed, seedImg], { encoding: 'utf8' });
if (mk.status !== 0) fatal('make the seed disk', mk.stderr);
const overlay = join(work, 'disk.qcow2');
const ov = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', join(image, 'disk.raw'), '-F', 'raw', overlay], { encoding: 'utf8' });
if (ov.status !== 0) fatal('make the VM disk', ov.stderr);
timings.seed = Math.round((Date.now() - t) / 1000);

// ---------- boot ----------
const freePort = () => new Promise((res) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
});
const sshPort = await freePort();
const webPort = await freePort();
let accel = 'tcg,thread=multi';
try { accessSync('/dev/kvm', constants.R_OK | constants.W_OK); accel = 'kvm'; } catch { /* TCG */ }
const consoleLog = join(work, 'console.log');
function boot() {
  const args = [
    '-accel', accel, '-cpu', accel === 'kvm' ? 'host' : 'max', '-smp', '2', '-m', '3072',
    '-kernel', join(image, 'vmlinuz'), '-initrd', join(image, 'initrd.img'),
    '-append', 'root=/dev/vda rw console=ttyS0 net.ifnames=0 systemd.unified_cgroup_hierarchy=1',
    '-drive', `file=${overlay},if=virtio,format=qcow2`,
    '-drive', `file=${seedImg},if=virtio,format=raw,readonly=on`,
    '-netdev', `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${sshPort}-:22,hostfwd=tcp:127.0.0.1:${webPort}-:8088`,
    '-device', 'virtio-net-pci,netdev=n0',
    '-display', 'none', '-serial', `file:${consoleLog}`, '-monitor', 'none',
  ];
  qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  qemu.stderr.on('data', (d) => process.stderr.write(`[qemu] ${d}`));
}

const sshArgs = ['-i', join(image, 'vagrant_key'), '-p', String(sshPort), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
  '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=15', 'vagrant@127.0.0.1'];
/** `vagrant ssh -c CMD`: a login session of the vagrant user (pam_systemd gives it its delegated cgroup). */
function ssh(cmd, timeoutMs = 600_000, input) {
  const r = spawnSync('ssh', [...sshArgs, cmd], { encoding: 'utf8', timeout: timeoutMs, input, maxBuffer: 64 << 20 });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}
async function waitSsh(limitMs) {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (qemu.exitCode !== null) return false;
    if (ssh('true', 20_000).status === 0) return true;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return false;
}
function httpGet(port) {
  return new Promise((res) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 30_000 }, (r) => {
      let body = '';
      r.on('data', (d) => { body += d; });
      r.on('end', () => res({ status: r.statusCode, body }));
    });
    req.on('error', (e) => res({ status: 0, body: String(e) }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function check(name, fn) {
  if (only && !only.some((o) => name.includes(o)) && !name.startsWith('boot') && !name.startsWith('provision')) return;
  const s = Date.now();
  let ok = false, detail = '';
  try {
    const r = await fn();
    ok = r === true;
    if (!ok) detail = typeof r === 'string' ? r : JSON.stringify(r);
  } catch (e) {
    detail = String(e?.stack ?? e);
  }
  const took = Math.round((Date.now() - s) / 1000);
  results.push({ name, ok, detail: detail.slice(0, 4000), seconds: took });
  say(`${ok ? 'ok  ' : 'FAIL'} ${name} (${took}s)${ok ? '' : `\n${detail.slice(0, 4000)}`}`);
  return ok;
}
const expect = (r, re, why) => (r.status === 0 && re.test(r.stdout) ? true : `${why}: exit ${r.status}\nstdout: ${r.stdout.slice(-1500)}\nstderr: ${r.stderr.slice(-1500)}`);

say(`booting the lab VM (${accel}), ssh on 127.0.0.1:${sshPort}, 8088 on 127.0.0.1:${webPort}`);
t = Date.now();
boot();
if (!(await check('boot: systemd brings up sshd', async () => (await waitSsh(15 * 60_000)) || `no ssh; console tail:\n${tail(consoleLog)}`))) { cleanup(); finish(); }
timings.boot = Math.round((Date.now() - t) / 1000);
function tail(f) { try { return readFileSync(f, 'utf8').split('\n').slice(-40).join('\n'); } catch { return ''; } }

await check('boot: systemd is pid 1 and /sys/fs/cgroup is cgroup v2', () =>
  expect(ssh('ps -p 1 -o comm=; stat -f -c %T /sys/fs/cgroup'), /^systemd\ncgroup2fs$/m, 'pid 1 / cgroup fs'));

// Vagrant's rsync synced folder: the project in /home/vagrant/skiff, owned by vagrant.
t = Date.now();
const sync = ssh('sudo mkdir -p /mnt/seed && sudo mount -o ro /dev/vdb /mnt/seed && sudo rsync -a --chown=vagrant:vagrant /mnt/seed/skiff/ /home/vagrant/skiff/'
  + ' && sudo rsync -a /mnt/seed/npm-cache/ /root/.npm/ && sudo install -m 0755 /mnt/seed/docker /usr/local/bin/docker && sudo umount /mnt/seed');
if (sync.status !== 0) fatal('synced folder', sync.stderr);
// The Vagrantfile's provisioner: `type: "shell", path: "scripts/vagrant-provision.sh", privileged: true,
// env: { LAB_USER, SKIFF_DIR }` — Vagrant uploads the script and runs it with sudo and that environment.
const provisioned = await check('provision: scripts/vagrant-provision.sh as the Vagrantfile runs it', () => {
  const r = ssh('sudo env LAB_USER=vagrant SKIFF_DIR=/home/vagrant/skiff npm_config_offline=true bash /home/vagrant/skiff/scripts/vagrant-provision.sh', 40 * 60_000);
  return r.status === 0 ? true : `exit ${r.status}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`;
});
timings.provision = Math.round((Date.now() - t) / 1000);
if (!provisioned) { cleanup(); finish(); }

t = Date.now();
await check('chapter: skiff container run diamol/ch02-hello-diamol (rootless)', () =>
  expect(ssh('skiff container run diamol/ch02-hello-diamol'), /Hello from Chapter 2!/, 'hello'));
await check('chapter: run is rootless (the container\'s root is the vagrant user on the VM)', () =>
  expect(ssh('id=$(skiff run -d diamol/base sleep 60) && ps -o user= -p "$(skiff inspect -f "{{.State.Pid}}" "$id")"; skiff rm -f "$id" >/dev/null'), /^vagrant\s*$/m, 'owner of the container process'));
await check('doctor: all green', () => {
  const r = ssh('skiff doctor');
  return r.status === 0 && !/✘/.test(r.stdout) ? true : `exit ${r.status}\n${r.stdout}\n${r.stderr}`;
});
await check('chapter: run -d -p 8088:80, answered on the forwarded port from outside the VM', async () => {
  const r = ssh('skiff container run --detach --name web --publish 8088:80 diamol/ch02-hello-diamol-web');
  if (r.status !== 0) return `run: ${r.stderr}`;
  let got = { status: 0, body: '' };
  for (let i = 0; i < 30 && got.status !== 200; i++) {
    got = await httpGet(webPort);
    if (got.status !== 200) await new Promise((res) => setTimeout(res, 1000));
  }
  return got.status === 200 && /Hello from Chapter 2/i.test(got.body) ? true : `GET 127.0.0.1:${webPort} → ${got.status} ${got.body.slice(0, 300)}`;
});
await check('chapter: ls, logs, inspect, stats, exec, images, rm -f', () => {
  const r = ssh([
    'set -e', 'skiff container ls --all', 'skiff container logs web >/dev/null', 'skiff container inspect web >/dev/null',
    'skiff container stats --no-stream web', 'skiff exec web sh -c "echo lab > /tmp/x; cat /tmp/x"',
    'skiff images', 'skiff container rm --force $(skiff container ls --all --quiet)', 'echo N=$(skiff container ls --all --quiet | wc -l)',
  ].join('\n'));
  return r.status === 0 && /ch02-hello-diamol-web/.test(r.stdout) && /^lab$/m.test(r.stdout) && /MiB/.test(r.stdout) && /^N=0$/m.test(r.stdout) ? true : `exit ${r.status}\n${r.stdout}\n${r.stderr}`;
});
await check('chapter: run -it gives a shell with its own pid 1 and hostname', () =>
  expect(ssh('script -qec "skiff container run --interactive --tty --rm diamol/base" /dev/null', 120_000, 'echo pid1=$(cat /proc/1/comm) host=$(hostname)\nexit\n'), /pid1=sh host=[0-9a-f]{12}/, 'run -it'));
timings.chapter = Math.round((Date.now() - t) / 1000);

t = Date.now();
await check('limits: --memory 64m on a memory hog → OOM, exit 137, OOMKilled true', () => {
  const r = ssh('skiff run --name hog --memory 64m diamol/base sh -c "tail /dev/zero"; echo exit=$?; skiff inspect -f "{{.State.OOMKilled}} {{.HostConfig.Memory}}" hog; skiff rm hog >/dev/null');
  return /exit=137/.test(r.stdout) && /^true 67108864$/m.test(r.stdout) ? true : `${r.stdout}\n${r.stderr}`;
});
await check('limits: --cpus 0.5 holds a busy loop near half a CPU', () => {
  // usage_usec of the container's own cgroup over 4 s of wall time, read from inside it.
  const r = ssh('skiff run --rm --cpus 0.5 diamol/base sh -c \'(while :; do :; done) & read a b < /sys/fs/cgroup/cpu.stat; sleep 4; read c d < /sys/fs/cgroup/cpu.stat; echo used=$(( (d - b) / 1000 )); cat /sys/fs/cgroup/cpu.max; kill $!\'');
  const used = Number(/used=(\d+)/.exec(r.stdout)?.[1]);
  return /^50000 100000$/m.test(r.stdout) && used > 1200 && used < 2600 ? true : `used ${used} ms of CPU in 4000 ms (want ≈2000)\n${r.stdout}\n${r.stderr}`;
});
await check('limits: --pids-limit stops a fork bomb', () => {
  const r = ssh('skiff run --rm --pids-limit 20 diamol/base sh -c \'(i=0; while [ $i -lt 60 ]; do sleep 30 & i=$((i+1)); done) 2>/dev/null; read n < /sys/fs/cgroup/pids.current; read m < /sys/fs/cgroup/pids.max; echo running=$n max=$m\'');
  const n = Number(/running=(\d+)/.exec(r.stdout)?.[1]);
  return /max=20/.test(r.stdout) && n <= 20 ? true : `${r.stdout}\n${r.stderr}`;
});
await check('limits: the container\'s cgroup lies in the vagrant user\'s delegated systemd tree; exec joins it', () => {
  const r = ssh('id=$(skiff run -d --memory 64m diamol/base sleep 600) && cat /proc/$(skiff inspect -f "{{.State.Pid}}" "$id")/cgroup'
    + ' && echo id=$id && skiff exec "$id" sh -c "echo exec-cgroup=\\$(cat /proc/self/cgroup) max=\\$(cat /sys/fs/cgroup/memory.max)"; skiff rm -f "$id" >/dev/null');
  const id = /^id=([0-9a-f]{64})$/m.exec(r.stdout)?.[1];
  const cg = /^0::(\/\S*)$/m.exec(r.stdout)?.[1] ?? '';
  return id && /^\/user\.slice\/user-\d+\.slice\/user@\d+\.service\//.test(cg) && cg.includes(id) && /^exec-cgroup=0::\/ max=67108864$/m.test(r.stdout)
    ? true : `exit ${r.status}\n${r.stdout}\n${r.stderr}`;
});
timings.limits = Math.round((Date.now() - t) / 1000);

t = Date.now();
const dockerEnv = 'export DOCKER_HOST=unix://$XDG_RUNTIME_DIR/skiff/skiff.sock;';
await check('api: the user\'s skiff.service (systemctl --user) serves the docker CLI', () => {
  const r = ssh(`systemctl --user is-active skiff.service; ${dockerEnv} docker version --format "server={{.Server.Version}}" && docker run --rm diamol/base echo via-docker && docker ps -a --format "{{.Image}}" | wc -l`);
  return /^active$/m.test(r.stdout) && /^server=\S+/m.test(r.stdout) && /^via-docker$/m.test(r.stdout) ? true : `exit ${r.status}\n${r.stdout}\n${r.stderr}`;
});
timings.api = Math.round((Date.now() - t) / 1000);

t = Date.now();
await check('reboot: --restart always containers come back after a reboot of the VM', async () => {
  const r = ssh('skiff run -d --name keeper --restart always diamol/base sleep 100000 && skiff run -d --name once diamol/base sleep 100000');
  if (r.status !== 0) return `run: ${r.stderr}`;
  ssh('sudo systemctl reboot', 30_000);
  await new Promise((res) => setTimeout(res, 5000));
  if (!(await waitSsh(15 * 60_000))) return `no ssh after reboot\n${tail(consoleLog)}`;
  // The boot unit may still be starting them: give it a moment.
  let ps = { status: 1, stdout: '', stderr: '' };
  for (let i = 0; i < 30; i++) {
    ps = ssh('skiff ps --format "{{.Names}} {{.Status}}"');
    if (/^keeper Up/m.test(ps.stdout)) break;
    await new Promise((res) => setTimeout(res, 2000));
  }
  return /^keeper Up/m.test(ps.stdout) && !/^once /m.test(ps.stdout) ? true : `after reboot: ${ps.stdout}\n${ps.stderr}`;
});
await check('reboot: the Engine API service is back and the docker CLI sees the restarted container', () => {
  const r = ssh(`systemctl --user is-active skiff.service skiff-restart.service; ${dockerEnv} docker ps --format "{{.Names}} {{.Status}}"`);
  return /^active\nactive$/m.test(r.stdout) && /^keeper Up/m.test(r.stdout) ? true : `exit ${r.status}\n${r.stdout}\n${r.stderr}`;
});
await check('reboot: limits hold again (--memory 64m → OOM, 137)', () => {
  const r = ssh('skiff run --rm --memory 64m diamol/base sh -c "tail /dev/zero"; echo exit=$?');
  return /exit=137/.test(r.stdout) ? true : `${r.stdout}\n${r.stderr}`;
});
timings.reboot = Math.round((Date.now() - t) / 1000);

ssh('sudo systemctl poweroff', 20_000);
await new Promise((res) => setTimeout(res, 3000));
cleanup();
finish({ accel });
