// bench/port-forward: throughput (iperf3, 2 s each), connection rate (a node connect/request/close
// loop, 1.5 s each; ab -c 8, 2 s each) and the forwarder's idle memory, through a published port:
// rootful (nftables DNAT), rootless (skiff-portfwd into the engine namespace, on to the container),
// against a direct connection, slirp4netns alone, and rootlesskit's builtin port driver (run by the
// suite's unprivileged test user: rootlesskit refuses root without a subuid range). Paths are measured
// in interleaved rounds, best of three each: this 2-core VM is shared and noisy. (pasta is not
// measured: Debian 12's pasta refuses to start without an external routable interface and takes its
// port list only at start — see docs/networking.md.)
//
// Network rule: everything happens inside namespaces this script creates. As root it re-executes
// itself under `unshare --net` first; it refuses to run in the host's own netns.
//   npx tsx bench/port-forward.ts
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertSuiteNetns, inInitialNetns, makeHolder, type NsHolder } from '../test/helpers/netns.js';
import { ensureTestUser } from '../test/helpers/users.js';
import { summaryRow } from './lib.js';

const self = fileURLToPath(import.meta.url);
const root = join(self, '..', '..');
if (inInitialNetns()) {
  if (process.getuid!() !== 0) throw new Error('bench/port-forward needs root (it builds its own namespaces)');
  const r = spawnSync('unshare', ['--net', '--mount', '--propagation', 'private', '--fork', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh',
    process.execPath, '--import', 'tsx', self], { stdio: 'inherit', cwd: root });
  process.exit(r.status ?? 1);
}
assertSuiteNetns();

const store = mkdtempSync(join(tmpdir(), 'skiff-bench-net-'));
process.env.SKIFF_ROOT = store;
const cleanups: Array<() => unknown> = [];

// Answers one request with a minimal HTTP response and closes: the node loop and ab both use it.
const CONN_SERVER = `require('net').createServer((s) => { s.on('error', () => {}); s.once('data', () => s.end('HTTP/1.0 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok')); }).listen(Number(process.argv[1]), () => console.log('ready'));`;
const WARM = 300;
const ROUNDS = 3;
const CONN_CLIENT = `
const net = require('net'); const [host, port, ms] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
let n = 0; const end = Date.now() + ms;
(function one() {
  if (Date.now() >= end) { console.log(n / (ms / 1000)); return; }
  const s = net.connect({ host, port }, () => s.write('GET / HTTP/1.0\\r\\n\\r\\n')); s.on('error', (e) => { console.log('ERR ' + e.code); process.exit(1); });
  s.on('close', () => { n++; one(); }); s.resume();
})();`;

function bg(cmd: string[], waitFor?: string): Promise<ChildProcess> {
  const c = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => c.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    if (!waitFor) return setTimeout(() => resolve(c), 300);
    c.stdout!.on('data', (d) => { if (String(d).includes(waitFor)) resolve(c); });
    c.once('exit', (code) => reject(new Error(`${cmd.join(' ')} exited ${code}`)));
  });
}

interface Path { name: string; enter: string[]; host: string; iperfPort: number; connPort: number }

function iperf(p: Path): number {
  const out = execFileSync(p.enter.length ? 'nsenter' : 'iperf3', [...(p.enter.length ? [...p.enter, '--', 'iperf3'] : []), '-c', p.host, '-p', String(p.iperfPort), '-t', '2', '-J'], { encoding: 'utf8', timeout: 20_000 });
  return JSON.parse(out).end.sum_received.bits_per_second / 1e9;
}

/** ab: 8 concurrent clients, 2 s; requests (= connections: HTTP/1.0, no keep-alive) per second. */
function abRate(p: Path): number {
  const out = execFileSync('ab', ['-q', '-t', '2', '-n', '1000000', '-c', '8', `http://${p.host}:${p.connPort}/`], { encoding: 'utf8', timeout: 30_000 });
  const m = /Requests per second:\s+([\d.]+)/.exec(out);
  if (!m) throw new Error(`ab printed no rate: ${out.slice(-300)}`);
  return Number(m[1]);
}

/** Resident memory (KiB) of the processes whose /proc/<pid>/exe ends with one of `exes`. */
function rssKiB(exes: string[]): number {
  let kib = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const exe = execFileSync('readlink', [`/proc/${pid}/exe`], { encoding: 'utf8' }).trim();
      if (!exes.some((e) => exe.endsWith(e))) continue;
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch { /* gone, or a kernel thread */ }
  }
  return kib;
}

function connRate(p: Path, ms = 1500): number {
  const args = ['-e', CONN_CLIENT, p.host, String(p.connPort), String(ms)];
  const out = execFileSync(p.enter.length ? 'nsenter' : process.execPath, p.enter.length ? [...p.enter, '--', process.execPath, ...args] : args, { encoding: 'utf8', timeout: 20_000 }).trim();
  return Number(out);
}

async function servers(enter: string[], iperfPort: number, connPort: number): Promise<void> {
  const pre = enter.length ? ['nsenter', ...enter, '--'] : [];
  await bg([...pre, 'iperf3', '-s', '--forceflush', '-p', String(iperfPort)], 'Server listening');
  await bg([...pre, process.execPath, '-e', CONN_SERVER, String(connPort)], 'ready');
}

async function main(): Promise<void> {
  const net = await import('../src/network/index.js');
  const holders: NsHolder[] = [];
  cleanups.push(async () => { for (const h of holders) await h.kill(); });

  // ── rootful: a container behind skiff0 with -p 15201:5201 -p 15202:5202
  const c = await makeHolder();
  holders.push(c);
  const id = 'be'.repeat(32);
  await net.prepareNetwork({ id, name: 'bench', hostname: 'bench', mode: 'bridge', ports: [net.parsePortSpec('15201:5201'), net.parsePortSpec('15202:5202')] });
  await net.connectNetwork(id, c.netns);
  cleanups.push(() => net.releaseNetwork(id));
  await servers(['-t', String(c.pid), '--net'], 5201, 5202);

  // ── rootless: an engine namespace (user+net) with slirp4netns, a container inside it
  const engine = await makeHolder({ user: true });
  holders.push(engine);
  const { startEngineUplink, stopEngineUplink } = await import('../src/network/rootless/uplink.js');
  const { publishPort } = await import('../src/network/rootless/publish.js');
  const rlStore = join(store, 'rootless');
  const up = await startEngineUplink(engine.pid, { run: join(rlStore, 'run') });
  cleanups.push(() => stopEngineUplink(up, join(rlStore, 'run')));
  const eng = ['-t', String(engine.pid), '--user', '--net', '--preserve-credentials'];
  const ctr = await bg(['nsenter', ...eng, '--', 'unshare', '--net', 'sleep', 'infinity']);
  // nsenter and unshare exec in place (no fork), so the child is the container's sleep
  const ctrPid = ctr.pid!;
  const rid = 'bf'.repeat(32);
  const r = execFileSync('nsenter', [...eng, '--', process.execPath, '--import', 'tsx', join(root, 'test/fixtures/engine-net.mts'), 'connect', rid,
    `/proc/${ctrPid}/ns/net`, '25201:5201', '25202:5202'], { encoding: 'utf8', env: { ...process.env, SKIFF_ROOT: rlStore }, cwd: root });
  if (r.includes('"error"')) throw new Error(r);
  await servers(['-t', String(ctrPid), '--user', '--net', '--preserve-credentials'], 5201, 5202);
  // slirp4netns alone: servers in the engine netns itself, forwarded without DNAT
  await servers(eng, 35201, 35202);
  // slirp4netns's own forwards (the uplink without skiff-portfwd publishes TCP through slirp4netns)
  const { portfwd: _tcp, ...slirpOnly } = up;
  await publishPort(slirpOnly, { hostIp: '127.0.0.1', hostPort: 35201, containerPort: 35201, proto: 'tcp' });
  await publishPort(slirpOnly, { hostIp: '127.0.0.1', hostPort: 35202, containerPort: 35202, proto: 'tcp' });
  // skiff-portfwd alone: the same engine-netns servers, the topology rootlesskit's row has
  await publishPort(up, { hostIp: '127.0.0.1', hostPort: 36201, containerPort: 35201, proto: 'tcp' });
  await publishPort(up, { hostIp: '127.0.0.1', hostPort: 36202, containerPort: 35202, proto: 'tcp' });
  const skiffRss = rssKiB(['skiff-portfwd']);

  // ── rootlesskit's builtin port driver, servers on the loopback of its own namespace
  const rkRss = await startRootlesskit();

  const paths: Path[] = [
    { name: 'direct to container IP', enter: [], host: '172.17.0.2', iperfPort: 5201, connPort: 5202 },
    { name: 'rootful -p via 127.0.0.1', enter: [], host: '127.0.0.1', iperfPort: 15201, connPort: 15202 },
    { name: 'rootless -p via 127.0.0.1', enter: [], host: '127.0.0.1', iperfPort: 25201, connPort: 25202 },
    { name: 'slirp4netns alone', enter: [], host: '127.0.0.1', iperfPort: 35201, connPort: 35202 },
    { name: 'skiff-portfwd alone', enter: [], host: '127.0.0.1', iperfPort: 36201, connPort: 36202 },
    { name: 'rootlesskit builtin', enter: [], host: '127.0.0.1', iperfPort: 45201, connPort: 45202 },
  ];
  const best = new Map<string, { gbit: number; cps: number; ab: number }>();
  for (const p of paths) connRate(p, WARM); // warm-up: JIT, conntrack, ARP
  for (let round = 0; round < ROUNDS; round++) {
    for (const p of paths) {
      try {
        const b = best.get(p.name) ?? { gbit: 0, cps: 0, ab: 0 };
        best.set(p.name, { gbit: Math.max(b.gbit, iperf(p)), cps: Math.max(b.cps, connRate(p)), ab: Math.max(b.ab, abRate(p)) });
      } catch (e) {
        console.log(`${p.name}: failed: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }
  const base = best.get(paths[0]!.name)!;
  console.log('\npath                          Gbit/s   ×direct   conn/s   ×direct   ab req/s   ×direct');
  for (const [name, r] of best) {
    console.log(`${name.padEnd(28)} ${r.gbit.toFixed(2).padStart(7)}   ${(r.gbit / base.gbit).toFixed(2).padStart(6)}  ${r.cps.toFixed(0).padStart(7)}   ${(r.cps / base.cps).toFixed(2).padStart(6)}  ${r.ab.toFixed(0).padStart(9)}   ${(r.ab / base.ab).toFixed(2).padStart(6)}`);
  }
  console.log(`\nidle forwarder memory: skiff-portfwd (both processes, per engine) ${skiffRss} KiB, rootlesskit (parent + child) ${rkRss} KiB`);
  // Forwarder against forwarder on the same topology (host loopback → a server in the namespace), and
  // the whole `-p` path to a container against rootlesskit's (which has no container behind it).
  const ctrPath = best.get('rootless -p via 127.0.0.1');
  const sk = best.get('skiff-portfwd alone');
  const rk = best.get('rootlesskit builtin');
  const sl = best.get('slirp4netns alone');
  if (!sk || !rk || !sl || !ctrPath) return;
  const row = (what: string, unit: string, a: number, b: number, peer: string, min: number) =>
    summaryRow(what, `${a.toFixed(unit === 'Gbit/s' ? 2 : 0)} ${unit}`, `${peer} ${b.toFixed(unit === 'Gbit/s' ? 2 : 0)}`, `${(a / b).toFixed(2)}×`, `≥ ${min}× ${peer}`, a / b >= min);
  row('rootless forwarder throughput (iperf3)', 'Gbit/s', sk.gbit, rk.gbit, 'rootlesskit builtin', 1);
  row('rootless forwarder throughput (iperf3)', 'Gbit/s', sk.gbit, sl.gbit, 'slirp4netns', 5);
  row('rootless forwarder conn/s (ab -c 8)', 'req/s', sk.ab, rk.ab, 'rootlesskit builtin', 1);
  row('rootless forwarder conn/s (ab -c 8)', 'req/s', sk.ab, sl.ab, 'slirp4netns', 5);
  row('rootless forwarder conn/s (node loop)', 'conn/s', sk.cps, rk.cps, 'rootlesskit builtin', 1);
  row('rootless -p to a container, throughput', 'Gbit/s', ctrPath.gbit, rk.gbit, 'rootlesskit builtin', 1);
  row('rootless -p to a container, conn/s (ab -c 8)', 'req/s', ctrPath.ab, rk.ab, 'rootlesskit builtin', 1);
  summaryRow('rootless -p forwarder idle RSS (per engine)', `${skiffRss} KiB`, `rootlesskit ${rkRss} KiB`, `${(skiffRss / rkRss).toFixed(2)}×`, '≤ 1 MiB a container (it is shared by all)', skiffRss <= 2048);
}

/**
 * rootlesskit --port-driver=builtin as the suite's test user, iperf3 and the conn server inside (its own
 * pid namespace: they all end with it); returns its idle RSS (KiB).
 */
async function startRootlesskit(): Promise<number> {
  const user = ensureTestUser(true);
  const state = mkdtempSync(join(tmpdir(), 'skiff-bench-rk-'));
  chmodSync(state, 0o700);
  chownSync(state, user.uid, user.gid);
  cleanups.push(() => rmSync(state, { recursive: true, force: true }));
  const inner = `iperf3 -s --forceflush -p 5201 & exec ${process.execPath} -e "$0" 5202`;
  await bg(['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', 'env', `HOME=${user.home}`, `XDG_RUNTIME_DIR=${state}`,
    'rootlesskit', `--state-dir=${join(state, 'rk')}`, '--net=slirp4netns', '--mtu=65520', '--disable-host-loopback', '--port-driver=builtin', '--copy-up=/etc', '--pidns',
    '-p', '127.0.0.1:45201:5201/tcp', '-p', '127.0.0.1:45202:5202/tcp', 'sh', '-c', inner, CONN_SERVER], 'ready');
  await new Promise((r) => setTimeout(r, 500)); // iperf3 started in the background of the same shell
  return rssKiB(['/rootlesskit']);
}

try {
  await main();
} finally {
  for (const c of cleanups.reverse()) {
    try { await c(); } catch { /* best effort */ }
  }
  rmSync(store, { recursive: true, force: true });
}
// Server processes' pipes (and anything a killed rootlesskit left) must not keep this process alive.
process.exit(process.exitCode ?? 0);
