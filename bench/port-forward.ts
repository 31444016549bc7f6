// bench/port-forward: throughput (iperf3, 2 s each) and connection rate (node loop, 1.5 s each)
// through a published port, rootful (nftables DNAT) and rootless (slirp4netns + DNAT inside the
// engine namespace), against a direct connection and against slirp4netns alone. (pasta is not
// measured: Debian 12's pasta refuses to start without an external routable interface and takes its
// port list only at start — see docs/networking.md.)
//
// Network rule: everything happens inside namespaces this script creates. As root it re-executes
// itself under `unshare --net` first; it refuses to run in the host's own netns.
//   npx tsx bench/port-forward.ts
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertSuiteNetns, inInitialNetns, makeHolder, type NsHolder } from '../test/helpers/netns.js';

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

const CONN_SERVER = `require('net').createServer((s) => { s.on('error', () => {}); s.end(); }).listen(Number(process.argv[1]), () => console.log('ready'));`;
const WARM = 300;
const CONN_CLIENT = `
const net = require('net'); const [host, port, ms] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
let n = 0; const end = Date.now() + ms;
(function one() {
  if (Date.now() >= end) { console.log(n / (ms / 1000)); return; }
  const s = net.connect({ host, port }); s.on('error', (e) => { console.log('ERR ' + e.code); process.exit(1); });
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
  await publishPort(up, { hostIp: '127.0.0.1', hostPort: 35201, containerPort: 35201, proto: 'tcp' });
  await publishPort(up, { hostIp: '127.0.0.1', hostPort: 35202, containerPort: 35202, proto: 'tcp' });

  const paths: Path[] = [
    { name: 'direct to container IP', enter: [], host: '172.17.0.2', iperfPort: 5201, connPort: 5202 },
    { name: 'rootful -p via 127.0.0.1', enter: [], host: '127.0.0.1', iperfPort: 15201, connPort: 15202 },
    { name: 'rootless -p via 127.0.0.1', enter: [], host: '127.0.0.1', iperfPort: 25201, connPort: 25202 },
    { name: 'slirp4netns alone', enter: [], host: '127.0.0.1', iperfPort: 35201, connPort: 35202 },
  ];
  const rows: Array<{ name: string; gbit: number; cps: number }> = [];
  for (const p of paths) {
    try {
      connRate(p, WARM); // warm-up: JIT, conntrack, ARP
      // best of two short rounds: this 2-core VM is noisy
      rows.push({ name: p.name, gbit: Math.max(iperf(p), iperf(p)), cps: Math.max(connRate(p), connRate(p)) });
    } catch (e) {
      console.log(`${p.name}: failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const base = rows[0]!;
  console.log('\npath                          Gbit/s   ×direct   conn/s   ×direct');
  for (const r of rows) {
    console.log(`${r.name.padEnd(28)} ${r.gbit.toFixed(2).padStart(7)}   ${(r.gbit / base.gbit).toFixed(2).padStart(6)}  ${r.cps.toFixed(0).padStart(7)}   ${(r.cps / base.cps).toFixed(2).padStart(6)}`);
  }
}

try {
  await main();
} finally {
  for (const c of cleanups.reverse()) {
    try { await c(); } catch { /* best effort */ }
  }
  rmSync(store, { recursive: true, force: true });
}
