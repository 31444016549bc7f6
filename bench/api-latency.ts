// bench/api-latency: the docker CLI driving skiff's Engine API service vs the same CLI driving Debian's
// dockerd 20.10 (its own containerd and runc), interleaved in one run, inside the bench's private
// network and mount namespace (dockerd's dirs, containerd's too, all under a temp dir):
//   docker run --rm diamol/base true · docker run -d -p … diamol/ch02-hello-diamol-web · docker ps -a
//   with 100 containers · and the service's resident memory when idle. The docker CLI's own share of
//   `ps -a` is measured apart: `docker --version` (its start, no request) and `docker ps -a` against a
//   stub socket that answers at once (start + ping + one request, no server work). The server's share is
//   split too: `HEAD /_ping` by curl (curl's start and one round trip through the service, no work),
//   the list by curl, and the list's own work measured in this process (records read, shaped, JSON).
// Targets (issue #12): run --rm ≤ 0.5× dockerd, ps -a ≤ 50 ms, idle service ≤ 60 MiB RSS.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assertPrivateNetns, interleaved, median, p90, sh, summaryRow, table, timeOnce } from './lib.js';

assertPrivateNetns();
const rounds = Number(process.env.ROUNDS ?? 10);
const many = Number(process.env.CONTAINERS ?? 100);
const root = resolve(import.meta.dirname, '..');
const skiff = join(root, 'bin/skiff');
const docker = existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker';
const work = mkdtempSync('/tmp/skiff-bench-api-');
const skiffSock = join(work, 'skiff.sock');
const dockerSock = join(work, 'docker.sock');
const env = { ...process.env, SKIFF_ROOT: join(work, 'store') };
// The in-process list below reads the same store the service serves.
process.env.SKIFF_ROOT = env.SKIFF_ROOT;
const children: ChildProcess[] = [];

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The daemon's pid and its children's (dockerd starts containerd and shims). */
function treeRssMiB(pid: number): number {
  const kids = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  return rssMiB(pid) + kids.reduce((n, k) => n + (existsSync(`/proc/${k}`) ? treeRssMiB(k) : 0), 0);
}

async function waitFor(sock: string, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (spawnSync(docker, ['-H', `unix://${sock}`, 'version'], { stdio: 'ignore' }).status === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up`);
}

// The stub: /_ping and an empty container list, answered at once, in a process of its own (timeOnce
// blocks this one).
const STUB = `require('http').createServer((q, r) => {
  const h = { 'Api-Version': '1.50', 'Content-Type': 'application/json' };
  if (q.url.endsWith('/_ping')) { r.writeHead(200, h); r.end(q.method === 'HEAD' ? undefined : 'OK'); return; }
  r.writeHead(200, h); r.end('[]');
}).listen(process.argv[1]);`;

const cli = (sock: string) => (args: string[]) => timeOnce(docker, ['-H', `unix://${sock}`, ...args], { env: { ...process.env, DOCKER_CONFIG: join(work, 'docker-config') } });

try {
  sh(skiff, ['lab', 'load'], { env });
  // Without the front door: its client would stand in for the service, and the RSS read below would be
  // the client's (0.8 MiB), not the resident Node engine's.
  const svc = spawn(skiff, ['system', 'service', '--socket', skiffSock], { env: { ...env, SKIFF_WARM: 'off' }, stdio: 'ignore' });
  children.push(svc);
  // dockerd keeps containerd's state under /run/containerd whatever it is told: a private tmpfs there.
  mkdirSync('/run/containerd', { recursive: true });
  spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', '/run/containerd']);
  const d = join(work, 'docker');
  const dockerd = spawn('dockerd', ['--data-root', join(d, 'data'), '--exec-root', join(d, 'exec'), '--pidfile', join(d, 'docker.pid'),
    '-H', `unix://${dockerSock}`, '--containerd-namespace', 'skiffbench', '--containerd-plugins-namespace', 'skiffbench-plugins'], { stdio: 'ignore' });
  children.push(dockerd);
  await waitFor(skiffSock, 'skiff system service');
  const idleRss = rssMiB(svc.pid!);
  await waitFor(dockerSock, 'dockerd');
  // dockerd loads docker-archive tars: the same lab images, saved by skiff.
  const tar = join(work, 'lab.tar');
  sh(skiff, ['save', '-o', tar, 'diamol/base', 'diamol/ch02-hello-diamol-web'], { env });
  sh(docker, ['-H', `unix://${dockerSock}`, 'load', '-i', tar]);
  const onSkiff = cli(skiffSock), onDocker = cli(dockerSock);
  let port = 9000;
  const runD = (run: (a: string[]) => number, sock: string) => () => {
    const name = `web${port}`;
    const ms = run(['run', '-d', '--name', name, '-p', `${port++}:80`, 'diamol/ch02-hello-diamol-web']);
    sh(docker, ['-H', `unix://${sock}`, 'rm', '-f', name]);
    return ms;
  };
  const runs = interleaved(rounds, [
    { name: 'docker run --rm diamol/base true → skiff', run: () => onSkiff(['run', '--rm', 'diamol/base', 'true']) },
    { name: 'docker run --rm diamol/base true → dockerd', run: () => onDocker(['run', '--rm', 'diamol/base', 'true']) },
    { name: 'docker run -d -p → skiff', run: runD(onSkiff, skiffSock) },
    { name: 'docker run -d -p → dockerd', run: runD(onDocker, dockerSock) },
  ]);
  for (let i = 0; i < many; i++) {
    sh(docker, ['-H', `unix://${skiffSock}`, 'create', 'diamol/base', 'true']);
    sh(docker, ['-H', `unix://${dockerSock}`, 'create', 'diamol/base', 'true']);
  }
  const ps = interleaved(rounds, [
    { name: `docker ps -a (${many} containers) → skiff`, run: () => onSkiff(['ps', '-a']) },
    { name: `docker ps -a (${many} containers) → dockerd`, run: () => onDocker(['ps', '-a']) },
    // The server's own share, without the docker CLI's start-up: one HTTP request by curl.
    { name: `GET /containers/json?all=1 (curl) → skiff`, run: () => timeOnce('curl', ['-sf', '-o', '/dev/null', '--unix-socket', skiffSock, 'http://d/v1.41/containers/json?all=1']) },
    { name: `GET /containers/json?all=1 (curl) → dockerd`, run: () => timeOnce('curl', ['-sf', '-o', '/dev/null', '--unix-socket', dockerSock, 'http://d/v1.41/containers/json?all=1']) },
    { name: 'HEAD /_ping (curl) → skiff', run: () => timeOnce('curl', ['-sfI', '-o', '/dev/null', '--unix-socket', skiffSock, 'http://d/_ping']) },
    { name: 'HEAD /_ping (curl) → dockerd', run: () => timeOnce('curl', ['-sfI', '-o', '/dev/null', '--unix-socket', dockerSock, 'http://d/_ping']) },
    { name: 'docker version (round trip) → skiff', run: () => onSkiff(['version']) },
    { name: 'docker version (round trip) → dockerd', run: () => onDocker(['version']) },
  ]);
  const stubSock = join(work, 'stub.sock');
  children.push(spawn(process.execPath, ['-e', STUB, stubSock], { stdio: 'ignore' }));
  for (let i = 0; i < 100 && !existsSync(stubSock); i++) await new Promise((r) => setTimeout(r, 50));
  const cliOnly = interleaved(rounds, [
    { name: 'docker --version (the CLI\'s start alone)', run: () => timeOnce(docker, ['--version']) },
    { name: 'docker ps -a → a stub answering [] at once', run: () => cli(stubSock)(['ps', '-a']) },
  ]);
  // The list's own work, as the route does it, in this process: what is left of the curl list once
  // curl's start and the round trip (the ping row) are taken away.
  const { psRecords } = await import('../src/engine/ps.js');
  const { containerSummary } = await import('../src/api/container-shapes.js');
  const listWork: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    const now = Date.now();
    JSON.stringify((await psRecords({ all: true })).map((r) => containerSummary(r, now)));
    listWork.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const series = [...runs, ...ps];
  const med = Object.fromEntries(series.map((s) => [s.name, median(s.samples)]));
  const rows = [['contender', 'median ms', 'p90 ms', '× dockerd']];
  for (let i = 0; i < series.length; i += 2) {
    for (const s of [series[i]!, series[i + 1]!]) rows.push([s.name, med[s.name]!.toFixed(1), p90(s.samples).toFixed(1), (med[s.name]! / med[series[i + 1]!.name]!).toFixed(2)]);
  }
  for (const s2 of cliOnly) rows.push([s2.name, median(s2.samples).toFixed(1), p90(s2.samples).toFixed(1), '']);
  rows.push([`the list's own work in-process (${many} records read, shaped, JSON)`, median(listWork).toFixed(1), p90(listWork).toFixed(1), '']);
  const busyRss = rssMiB(svc.pid!);
  rows.push(['skiff service RSS idle after start (MiB)', idleRss.toFixed(1), '', '']);
  rows.push(['skiff service RSS after the runs (MiB)', busyRss.toFixed(1), '', '']);
  rows.push(['dockerd + containerd RSS (MiB)', treeRssMiB(dockerd.pid!).toFixed(1), '', '']);
  console.log(`api-latency, ${rounds} interleaved rounds, docker CLI ${sh(docker, ['--version']).trim()}\n`);
  console.log(table(rows));
  const runRatio = med[runs[0]!.name]! / med[runs[1]!.name]!;
  const psMs = med[ps[0]!.name]!;
  const psServer = med[ps[2]!.name]!;
  console.log(`\ntargets: run --rm ≤ 0.5× dockerd → ${runRatio <= 0.5 ? 'met' : 'NOT met'} (${runRatio.toFixed(2)}×); ps -a ≤ 50 ms → ${psMs <= 50 ? 'met' : 'NOT met'} (${psMs.toFixed(0)} ms end to end, ${psServer.toFixed(0)} ms of it the request itself); idle RSS ≤ 60 MiB → ${idleRss <= 60 ? 'met' : 'NOT met'} (${idleRss.toFixed(0)} MiB)`);
  const dockerPs = med[ps[1]!.name]!, dockerGet = med[ps[3]!.name]!;
  summaryRow('docker run --rm diamol/base true (API)', `${med[runs[0]!.name]!.toFixed(0)} ms`, `dockerd ${med[runs[1]!.name]!.toFixed(0)} ms`, `${runRatio.toFixed(2)}×`, '≤ 0.5×', runRatio <= 0.5);
  summaryRow(`docker ps -a, ${many} containers (API)`, `${psMs.toFixed(0)} ms`, `dockerd ${dockerPs.toFixed(0)} ms`, `${(psMs / dockerPs).toFixed(2)}×`, '≤ 50 ms', psMs <= 50);
  summaryRow(`GET /containers/json?all=1, ${many} containers`, `${psServer.toFixed(0)} ms`, `dockerd ${dockerGet.toFixed(0)} ms`, `${(psServer / dockerGet).toFixed(2)}×`, '');
  const cliStart = median(cliOnly[0]!.samples), stubPs = median(cliOnly[1]!.samples);
  console.log(`the docker CLI's own share: ${cliStart.toFixed(0)} ms to start, ${stubPs.toFixed(0)} ms for ps -a against a stub that does no work`);
  summaryRow('docker --version (CLI start, no request)', `${cliStart.toFixed(0)} ms`, '', '', '');
  summaryRow('docker ps -a against an instant stub', `${stubPs.toFixed(0)} ms`, '', '', '');
  const pingMs = med[ps[4]!.name]!, dockerPing = med[ps[5]!.name]!;
  summaryRow('HEAD /_ping by curl (round trip, no work)', `${pingMs.toFixed(0)} ms`, `dockerd ${dockerPing.toFixed(0)} ms`, `${(pingMs / dockerPing).toFixed(2)}×`, '');
  summaryRow(`the list's own work in-process, ${many} containers`, `${median(listWork).toFixed(0)} ms`, '', '', '');
  summaryRow('idle API service RSS', `${idleRss.toFixed(0)} MiB`, '', '', '≤ 60 MiB', idleRss <= 60);
} finally {
  spawnSync(skiff, ['ps', '-aq'], { env, encoding: 'utf8' }).stdout.split('\n').filter(Boolean).forEach((id) => spawnSync(skiff, ['rm', '-f', id], { env, stdio: 'ignore' }));
  for (const c of children.reverse()) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 3000));
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  spawnSync('umount', ['-l', '/run/containerd']);
  rmSync(work, { recursive: true, force: true });
}
