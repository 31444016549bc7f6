// bench/density: N diamol/base containers sleeping (default 200), started detached back to back.
// Reports how long starting them takes, what each container costs in skiff's own processes (its
// skiff-runtime supervisor: RSS and PSS), and the read-only verbs (ps -a, images, inspect, logs,
// port) end to end with one container and with N+1 — next to podman + conmon doing the same, in the
// same run. Each read-only verb is timed after a settle pause (lib.ts SETTLE_MS), as a user types.
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { assertPrivateNetns, median, pause, SETTLE_MS, sh, summaryRow, table, timeOnce } from './lib.js';

assertPrivateNetns();
spawnSync('umount', ['/sys/fs/cgroup/unified'], { stdio: 'ignore' }); // crun under podman refuses hybrid cgroups
const N = Number(process.env.CONTAINERS ?? 200);
const root = resolve(import.meta.dirname, '..');
const skiff = join(root, 'bin/skiff');
const lab = join(root, 'rootfs/build/lab/docker.io/diamol/base');
const work = mkdtempSync('/tmp/skiff-density-');
const env = { ...process.env, SKIFF_ROOT: join(work, 'store') };

/** A supervisor of this run's store: other skiff stores on the machine have supervisors of their own. */
function ownStore(pid: string): boolean {
  return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`SKIFF_ROOT=${env.SKIFF_ROOT}`);
}

/**
 * RSS and PSS of the matching processes, and what their executables hold in memory when each is a memfd
 * (skiff-runtime's sealed copy): the whole file stays in RAM, mapped or not, and RSS sees only the mapped part.
 */
function memOf(pred: (cmd: string, pid: string) => boolean): { count: number; rssKiB: number; pssKiB: number; memfdKiB: number } {
  let count = 0, rss = 0, pss = 0, memfd = 0;
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!pred(cmd, p)) continue;
      const roll = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      rss += Number(/^Rss:\s+(\d+)/m.exec(roll)?.[1] ?? 0);
      pss += Number(/^Pss:\s+(\d+)/m.exec(roll)?.[1] ?? 0);
      if (readlinkSync(`/proc/${p}/exe`).startsWith('/memfd:')) memfd += statSync(`/proc/${p}/exe`).size / 1024;
      count++;
    } catch {
      // gone
    }
  }
  return { count, rssKiB: rss, pssKiB: pss, memfdKiB: memfd };
}

const VERBS = ['ps -a', 'images', 'inspect', 'logs', 'port'] as const;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
// podman gets a store of its own for the run (root and runroot under `work`): its containers, names and
// the cleanup below touch nothing of another podman user on the machine, and conmons are told apart by it.
const podRoot = join(work, 'podman');
const POD = ['--root', join(podRoot, 'root'), '--runroot', join(podRoot, 'run')];
const POD_RUN = ['--pull', 'never', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--cgroups', 'disabled'];

interface Engine { name: string; cmd: string; pre: string[]; env?: NodeJS.ProcessEnv; runD: string[]; image: string; settle: boolean }
const engines: Engine[] = [
  { name: 'skiff', cmd: skiff, pre: [], env, runD: ['run', '-d', '--network', 'none'], image: 'diamol/base', settle: true },
  { name: 'podman', cmd: 'podman', pre: POD, runD: [...POD, 'run', '-d', ...POD_RUN], image: 'docker.io/diamol/base:latest', settle: false },
];

function verbArgs(verb: (typeof VERBS)[number]): string[] {
  return verb === 'ps -a' ? ['ps', '-a'] : verb === 'images' ? ['images'] : [verb, 'bench-target'];
}

/** Median end-to-end ms of each read-only verb, skiff and podman interleaved round by round. */
function verbTimes(usable: Engine[]): Map<string, number> {
  const samples = new Map<string, number[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const verb of VERBS) {
      for (const e of usable) {
        if (e.settle) pause(SETTLE_MS);
        const key = `${e.name} ${verb}`;
        samples.set(key, [...(samples.get(key) ?? []), timeOnce(e.cmd, [...e.pre, ...verbArgs(verb)], { env: e.env })]);
      }
    }
  }
  return new Map([...samples].map(([k, v]) => [k, median(v)]));
}

const rows = [['engine', 'containers', 'supervisors', 'RSS/container', 'PSS/container', 'memfd exe/container', 'start all (s)']];
const verbRows = [['verb', 'containers', 'skiff ms', 'podman ms', 'skiff/podman']];
try {
  sh(skiff, ['pull', 'diamol/base'], { env });
  const usable = [engines[0]!];
  try {
    sh('skopeo', ['copy', '-q', `oci:${lab}:latest`, `containers-storage:[overlay@${join(podRoot, 'root')}+${join(podRoot, 'run')}]docker.io/diamol/base:latest`]);
    usable.push(engines[1]!);
  } catch (e) {
    console.log(`(left out: podman: ${(e as Error).message.split('\n')[0]!.slice(0, 80)})`);
  }
  // The container the read-only verbs look at: it printed a line, as a real one would have.
  for (const e of usable) sh(e.cmd, [...e.runD, '--name', 'bench-target', e.image, 'sh', '-c', 'echo ready; exec sleep 3600'], { env: e.env });
  const verbsAt = (count: number, times: Map<string, number>) => {
    for (const verb of VERBS) {
      const s = times.get(`skiff ${verb}`)!, p = times.get(`podman ${verb}`);
      verbRows.push([verb, String(count), s.toFixed(1), p?.toFixed(1) ?? 'n/a', p ? (s / p).toFixed(2) : '']);
    }
  };
  verbsAt(1, verbTimes(usable));
  const start = new Map<string, number>();
  for (const e of usable) {
    const t0 = Date.now();
    for (let i = 0; i < N; i++) sh(e.cmd, [...e.runD, e.image, 'sleep', '3600'], { env: e.env });
    start.set(e.name, (Date.now() - t0) / 1000);
  }
  verbsAt(N + 1, verbTimes(usable));
  for (const e of usable) {
    const m = e.name === 'skiff' ? memOf((c, p) => c.includes('skiff-runtime launch') && ownStore(p)) : memOf((c) => (c.startsWith('/usr/bin/conmon') || c.startsWith('conmon')) && c.includes(podRoot));
    rows.push([e.name === 'skiff' ? 'skiff' : 'podman+conmon', String(N + 1), String(m.count), `${(m.rssKiB / (N + 1) / 1024).toFixed(2)} MiB`, `${(m.pssKiB / (N + 1) / 1024).toFixed(2)} MiB`, `${(m.memfdKiB / (N + 1) / 1024).toFixed(2)} MiB`, start.get(e.name)!.toFixed(1)]);
  }
  console.log(`density: ${N} sleeping diamol/base containers started back to back, --network none\n`);
  console.log(table(rows));
  console.log(`\nread-only verbs end to end (median of ${ROUNDS}, settle pause before each skiff command ${SETTLE_MS} ms)\n`);
  console.log(table(verbRows));
  const pod = start.get('podman');
  if (pod) {
    const r = start.get('skiff')! / pod;
    console.log(`\ntarget: ${N} × run -d ≤ 0.5× podman → ${r <= 0.5 ? 'met' : 'NOT met'} (${r.toFixed(2)}×)`);
    summaryRow(`${N} × run -d diamol/base sleep, back to back`, `${start.get('skiff')!.toFixed(1)} s`, `podman ${pod.toFixed(1)} s`, `${r.toFixed(2)}×`, '≤ 0.5×', r <= 0.5);
    for (const row of verbRows.slice(1)) summaryRow(`${row[0]} (${row[1]} containers)`, `${row[2]} ms`, `podman ${row[3]} ms`, `${row[4]}×`, '≤ 0.5×', Number(row[4]) <= 0.5);
    const worst = Math.max(...verbRows.slice(1).map((row) => Number(row[4])));
    console.log(`target: read-only verbs ≤ 0.5× podman → ${worst <= 0.5 ? 'met' : 'NOT met'} (worst ${worst.toFixed(2)}×)`);
    const rss = parseFloat(rows[1]![3]!), pss = parseFloat(rows[1]![4]!);
    const conmon = rows[2] ? { rss: parseFloat(rows[2][3]!), pss: parseFloat(rows[2][4]!) } : undefined;
    console.log(`target: idle memory per container ≤ 1 MiB RSS → ${rss <= 1 ? 'met' : 'NOT met'} (${rss.toFixed(2)} MiB)`);
    summaryRow('idle memory per container (supervisor RSS / PSS)', `${rss.toFixed(2)} / ${pss.toFixed(2)} MiB`, conmon ? `conmon ${conmon.rss.toFixed(2)} / ${conmon.pss.toFixed(2)} MiB` : 'n/a', conmon ? `${(rss / conmon.rss).toFixed(2)}×` : '', '≤ 1 MiB', rss <= 1);
  }
} finally {
  spawnSync('podman', [...POD, 'rm', '-f', '-a', '-t', '0'], { stdio: 'ignore' });
  spawnSync('podman', [...POD, 'rmi', '-f', '-a'], { stdio: 'ignore' });
  spawnSync('sh', ['-c', `${skiff} rm -f $(${skiff} ps -aq) 2>/dev/null`], { env, stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
