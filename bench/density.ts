// bench/density: N diamol/base containers sleeping (default 200), started detached. Reports what each
// container costs in skiff's own processes (its skiff-runtime supervisor: RSS and PSS), and how long
// `ps` takes with N containers — next to podman + conmon doing the same, in the same run.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { assertPrivateNetns, median, sh, table, timeOnce } from './lib.js';

assertPrivateNetns();
spawnSync('umount', ['/sys/fs/cgroup/unified'], { stdio: 'ignore' }); // crun under podman refuses hybrid cgroups
const N = Number(process.env.CONTAINERS ?? 200);
const root = resolve(import.meta.dirname, '..');
const skiff = join(root, 'bin/skiff');
const lab = join(root, 'rootfs/build/lab/docker.io/diamol/base');
const work = mkdtempSync('/tmp/skiff-density-');
const env = { ...process.env, SKIFF_ROOT: join(work, 'store') };

function memOf(pred: (cmd: string) => boolean): { count: number; rssKiB: number; pssKiB: number } {
  let count = 0, rss = 0, pss = 0;
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!pred(cmd)) continue;
      const roll = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      rss += Number(/^Rss:\s+(\d+)/m.exec(roll)?.[1] ?? 0);
      pss += Number(/^Pss:\s+(\d+)/m.exec(roll)?.[1] ?? 0);
      count++;
    } catch {
      // gone
    }
  }
  return { count, rssKiB: rss, pssKiB: pss };
}

const rows = [['engine', 'containers', 'supervisors', 'RSS/container', 'PSS/container', 'start all (s)', 'ps median (ms)']];
try {
  sh(skiff, ['pull', 'diamol/base'], { env });
  let t0 = Date.now();
  for (let i = 0; i < N; i++) sh(skiff, ['run', '-d', '--network', 'none', 'diamol/base', 'sleep', '3600'], { env });
  const skiffStart = (Date.now() - t0) / 1000;
  const sm = memOf((c) => c.includes('skiff-runtime launch'));
  const skiffPs = median(Array.from({ length: 5 }, () => timeOnce(skiff, ['ps'], { env })));
  rows.push(['skiff', String(N), String(sm.count), `${(sm.rssKiB / N / 1024).toFixed(2)} MiB`, `${(sm.pssKiB / N / 1024).toFixed(2)} MiB`, skiffStart.toFixed(1), skiffPs.toFixed(0)]);
  sh('sh', ['-c', `${skiff} rm -f $(${skiff} ps -aq)`], { env });

  try {
    sh('skopeo', ['copy', '-q', `oci:${lab}:latest`, 'containers-storage:docker.io/diamol/base:latest']);
    const pod = ['run', '-d', '--pull', 'never', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--cgroups', 'disabled', 'docker.io/diamol/base:latest', 'sleep', '3600'];
    t0 = Date.now();
    for (let i = 0; i < N; i++) sh('podman', pod);
    const podStart = (Date.now() - t0) / 1000;
    const pm = memOf((c) => c.startsWith('/usr/bin/conmon') || c.startsWith('conmon'));
    const podPs = median(Array.from({ length: 5 }, () => timeOnce('podman', ['ps'])));
    rows.push(['podman+conmon', String(N), String(pm.count), `${(pm.rssKiB / N / 1024).toFixed(2)} MiB`, `${(pm.pssKiB / N / 1024).toFixed(2)} MiB`, podStart.toFixed(1), podPs.toFixed(0)]);
  } catch (e) {
    rows.push(['podman+conmon', 'n/a', '', '', '', '', (e as Error).message.split('\n')[0]!.slice(0, 80)]);
  } finally {
    spawnSync('podman', ['rm', '-f', '-a', '-t', '0'], { stdio: 'ignore' });
    spawnSync('podman', ['rmi', '-f', 'docker.io/diamol/base:latest'], { stdio: 'ignore' });
  }
  console.log(`density: ${N} sleeping diamol/base containers, --network none\n`);
  console.log(table(rows));
  if (rows.length === 3 && rows[2]![1] !== 'n/a') {
    const r = (i: number) => parseFloat(rows[1]![i]!) / parseFloat(rows[2]![i]!);
    console.log(`\nratios skiff/podman: RSS ${r(3).toFixed(2)}×, PSS ${r(4).toFixed(2)}×, start ${r(5).toFixed(2)}×, ps ${r(6).toFixed(2)}×`);
  }
} finally {
  spawnSync('sh', ['-c', `${skiff} rm -f $(${skiff} ps -aq) 2>/dev/null`], { env, stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
