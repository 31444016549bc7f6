#!/usr/bin/env node
// `npm run test:vm`: prove the cgroup v2 code on a real cgroup2-only kernel. The host may be hybrid (v1
// controllers bound, v2 empty), so we boot a throwaway QEMU VM with Debian's own kernel, a tiny busybox
// initramfs built here and now, cgroup2 mounted with every controller, the host's / shared read-only and
// the project read-write over virtio-9p; the VM chroots into the host view and runs test/vm/*.test.ts.
//
//   node scripts/test-vm.mjs [--json=FILE] [--timeout-min=N] [--keep] [test/vm/x.test.ts …]
//
// The VM has no network device at all (-nic none): nothing in it can send a packet anywhere.
// KVM is used when /dev/kvm opens and a short probe boot finishes; otherwise QEMU's TCG emulation.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
};
const jsonOut = opt('json', undefined);
const timeoutMin = Number(opt('timeout-min', '8'));
const keep = argv.includes('--keep');
const only = argv.filter((a) => !a.startsWith('--'));
const t0 = Date.now();
const say = (m) => process.stderr.write(`[test-vm ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);

function finish(passed, failed, extra = {}) {
  const result = { passed, failed, ...extra };
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(result) + '\n');
  say(`result: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

// ---------- what we need from the host ----------
const qemu = ['/usr/bin/qemu-system-x86_64'].find((p) => existsSync(p));
const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p) && isStatic(p));
const kernels = existsSync('/boot') ? readdirSync('/boot').filter((f) => /^vmlinuz-/.test(f)).sort(versionCompare) : [];
const missing = [];
if (!qemu) missing.push('qemu-system-x86');
if (!busybox) missing.push('busybox-static');
if (kernels.length === 0) missing.push('linux-image-amd64');
if (!commandExists('cpio')) missing.push('cpio');
if (missing.length) {
  say(`cannot run the VM suite: missing ${missing.join(', ')} — run: sudo scripts/install-deps.sh --with-tests`);
  finish(0, 1, { error: `missing ${missing.join(' ')}` });
}
const kernel = join('/boot', kernels.at(-1));
const kver = kernels.at(-1).slice('vmlinuz-'.length);
const modDir = join('/lib/modules', kver);

function isStatic(p) {
  const r = spawnSync('file', ['-L', p], { encoding: 'utf8' });
  // Without `file`, trust the path: Debian's busybox-static installs /bin/busybox.
  return r.status !== 0 || /static/.test(r.stdout);
}
function commandExists(c) {
  return spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status === 0;
}
function versionCompare(a, b) {
  return a.localeCompare(b, undefined, { numeric: true });
}

// ---------- kernel modules, with their dependencies, in load order ----------
function resolveModules(wanted) {
  const dep = new Map();
  for (const line of readFileSync(join(modDir, 'modules.dep'), 'utf8').split('\n')) {
    const [mod, rest] = line.split(':');
    if (!mod) continue;
    dep.set(mod, rest.trim() ? rest.trim().split(/\s+/) : []);
  }
  const byName = new Map([...dep.keys()].map((p) => [basename(p).replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_'), p]));
  const order = [];
  const seen = new Set();
  const visit = (path) => {
    if (seen.has(path)) return;
    seen.add(path);
    // modules.dep lists the full closure, deepest last: load those first.
    for (const d of [...(dep.get(path) ?? [])].reverse()) visit(d);
    order.push(path);
  };
  for (const w of wanted) {
    const p = byName.get(w);
    if (p) visit(p); // absent = built into this kernel
  }
  return order;
}

// Loaded by name at boot (the kernel cannot autoload them: its modprobe helper runs in the initramfs).
// 9p for the shares; overlay, veth, bridge, nftables NAT and tun for `skiff run` tests in the VM.
// SKIFF_VM_MODULES="a b" adds more.
const MODULES = [
  'virtio_pci', '9pnet_virtio', '9p', 'overlay', 'veth', 'bridge',
  'nf_tables', 'nft_chain_nat', 'nft_nat', 'nft_masq', 'nft_ct', 'tun',
  ...(process.env.SKIFF_VM_MODULES ?? '').split(/\s+/).filter(Boolean),
];

function buildInitramfs(dir, projectDir, runScript) {
  const rootDir = join(dir, 'root');
  for (const d of ['bin', 'dev', 'proc', 'sys', 'newroot', 'lib/modules']) mkdirSync(join(rootDir, d), { recursive: true });
  copyFileSync(busybox, join(rootDir, 'bin/busybox'));
  chmodSync(join(rootDir, 'bin/busybox'), 0o755);
  const order = [];
  for (const rel of resolveModules(MODULES)) {
    const src = join(modDir, rel);
    const name = basename(rel).replace(/\.(xz|zst|gz)$/, '');
    const dst = join(rootDir, 'lib/modules', name);
    if (rel.endsWith('.ko')) copyFileSync(src, dst);
    else {
      const tool = rel.endsWith('.xz') ? 'xz' : rel.endsWith('.zst') ? 'zstd' : 'gzip';
      writeFileSync(dst, spawnSync(tool, ['-dc', src], { maxBuffer: 64 << 20 }).stdout);
    }
    order.push(name);
  }
  writeFileSync(join(rootDir, 'modules.order'), order.join('\n') + '\n');
  writeFileSync(join(rootDir, 'run.sh'), runScript);
  writeFileSync(
    join(rootDir, 'init'),
    `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
if grep -q skiffvm.probe /proc/cmdline; then echo SKIFF-VM-PROBE-OK; poweroff -f; fi
T0=$(cut -d' ' -f1 /proc/uptime)
for m in $(cat /modules.order); do insmod /lib/modules/$m 2>/dev/null; done
echo "SKIFF-VM-MODULES $(wc -l < /modules.order) loaded from uptime $T0 to $(cut -d' ' -f1 /proc/uptime)"
N=/newroot
# The host's / read-only (node, its libraries, busybox …); the project read-write on top of it.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot $N || echo "SKIFF-VM-FATAL 9p hostroot"
mount -t proc proc $N/proc
mount -t sysfs sys $N/sys
mount -t devtmpfs dev $N/dev
mkdir -p $N/dev/pts $N/dev/shm 2>/dev/null
mount -t devpts devpts $N/dev/pts
mount -t tmpfs tmpfs $N/dev/shm
for d in /tmp /run /var/tmp /root; do mount -t tmpfs tmpfs $N$d; done
# The project last: it may live under one of those tmpfs dirs (a CI clone in /tmp), which would hide it.
mkdir -p $N${projectDir} 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 project $N${projectDir} || echo "SKIFF-VM-FATAL 9p project"
# cgroup v2 only, as on a systemd.unified_cgroup_hierarchy=1 machine: every controller at the root.
mount -t cgroup2 -o nsdelegate cgroup2 $N/sys/fs/cgroup || echo "SKIFF-VM-FATAL cgroup2"
# Loopback only: the VM has no network device at all (-nic none).
ip link set lo up
echo "SKIFF-VM-BOOTED $(cut -d' ' -f1 /proc/uptime) controllers: $(cat $N/sys/fs/cgroup/cgroup.controllers)"
# A plain chroot would leave every process "chrooted", and the kernel refuses user namespaces to those
# (skiff's containers need one). Moving the new root over / first, as switch_root does, avoids that.
cd $N && mount --move . / && chroot . /bin/sh /proc/1/root/run.sh
echo "SKIFF-VM-EXIT $?"
sync
poweroff -f
`,
  );
  chmodSync(join(rootDir, 'init'), 0o755);
  const img = join(dir, 'initramfs.cpio.gz');
  const r = spawnSync('sh', ['-c', `cd "${rootDir}" && find . | cpio -o -H newc --quiet | gzip -1 > "${img}"`], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('cpio failed');
  return img;
}

// ---------- QEMU ----------
function kvmOpens() {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function qemuArgs(accel, initrd, extraCmdline) {
  return [
    '-accel', accel,
    ...(accel === 'kvm' ? ['-cpu', 'host'] : ['-cpu', 'max']),
    '-m', '2048', '-smp', '2',
    '-nographic', '-nodefaults', '-serial', 'stdio', '-no-reboot',
    '-nic', 'none',
    '-kernel', kernel, '-initrd', initrd,
    '-append', `console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1 ${extraCmdline}`,
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${root},mount_tag=project,security_model=none,multidevs=remap`,
  ];
}

function runQemu(args, timeoutMs, onLine) {
  return new Promise((resolveRun) => {
    const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i).replace(/\r$/, ''));
        buf = buf.slice(i + 1);
      }
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (buf) onLine(buf);
      resolveRun({ code, timedOut, stderr });
    });
  });
}

async function chooseAccel(initrd) {
  if (process.env.SKIFF_VM_ACCEL) return process.env.SKIFF_VM_ACCEL;
  if (!existsSync('/dev/kvm') || !kvmOpens()) return 'tcg';
  // Some nested setups expose a /dev/kvm that hangs: a probe boot must finish in seconds.
  let ok = false;
  const r = await runQemu(qemuArgs('kvm', initrd, 'skiffvm.probe=1'), 20_000, (l) => {
    if (l.includes('SKIFF-VM-PROBE-OK')) ok = true;
  });
  say(`KVM probe: ${ok ? 'ok' : `failed (${r.timedOut ? 'timed out' : `exit ${r.code}`})`}`);
  return ok ? 'kvm' : 'tcg';
}

// ---------- the run inside the VM ----------
// Under TCG, Node itself starts in ~1.2 s but tsx needs ~18 s and vitest ~60 s (measured), so the VM
// tests use node:test and are bundled here, on the host, by esbuild into plain .mjs files; inside the
// VM only `node` runs. Any test/vm/*.test.ts is picked up.
const tests = only.length ? only : readdirSync(join(root, 'test/vm')).filter((f) => f.endsWith('.test.ts')).map((f) => `test/vm/${f}`);
const bundleDir = join(root, '.test-results', 'vm-bundle');
async function bundleTests() {
  rmSync(bundleDir, { recursive: true, force: true });
  const { build } = await import('esbuild');
  const entryPoints = Object.fromEntries(tests.map((t) => [basename(t).replace(/\.ts$/, ''), join(root, t)]));
  await build({
    entryPoints,
    outdir: bundleDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['ffi-rs', 'pino'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    define: { __SKIFF_VERSION__: '"vm"', __SKIFF_COMMIT__: '"vm"' },
    logLevel: 'warning',
  });
  return Object.keys(entryPoints).map((n) => join(bundleDir, `${n}.mjs`));
}
const bundles = await bundleTests();
const runScript = `export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root CI=${JSON.stringify(process.env.CI ?? "")} SKIFF_IN_VM=1 TMPDIR=/tmp
cd ${root}
echo SKIFF-VM-START $(cut -d' ' -f1 /proc/uptime)
node test/vm/runner.mjs ${bundles.join(' ')}
echo SKIFF-VM-DONE $(cut -d' ' -f1 /proc/uptime)
`;

const work = mkdtempSync(join(tmpdir(), 'skiff-vm-'));
let result = { passed: 0, failed: 0 };
try {
  const initrd = buildInitramfs(work, root, runScript);
  say(`initramfs built (${kver}, modules: ${resolveModules(MODULES).length})`);
  const accel = await chooseAccel(initrd);
  say(`booting ${basename(kernel)} with ${accel}`);
  const bootStart = Date.now();
  let summary;
  let booted;
  const r = await runQemu(qemuArgs(accel, initrd, ''), timeoutMin * 60_000, (line) => {
    const res = line.indexOf('SKIFF-VM-RESULT ');
    if (res >= 0) summary = JSON.parse(line.slice(res + 'SKIFF-VM-RESULT '.length));
    if (line.includes('SKIFF-VM-BOOTED')) {
      booted = (Date.now() - bootStart) / 1000;
      say(`VM booted in ${booted.toFixed(1)}s (${line.slice(line.indexOf('SKIFF-VM-BOOTED'))})`);
      return;
    }
    process.stdout.write(`  vm| ${line}\n`);
  });
  const total = (Date.now() - bootStart) / 1000;
  if (r.timedOut) say(`QEMU killed after ${timeoutMin} min`);
  if (r.stderr.trim()) say(`qemu stderr: ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  say(`VM total ${total.toFixed(1)}s (accel ${accel}, boot ${booted?.toFixed(1) ?? '?'}s)`);
  if (summary) result = { passed: summary.passed, failed: summary.failed, accel, bootSeconds: booted, totalSeconds: total };
  else result = { passed: 0, failed: 1, accel, error: r.timedOut ? 'timeout' : 'no result line from the VM' };
} catch (e) {
  say(`VM harness failed: ${e.message}`);
  result = { passed: 0, failed: 1, error: e.message };
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
  else say(`kept ${work}`);
}
const { passed, failed, ...extra } = result;
finish(passed, failed, extra);
