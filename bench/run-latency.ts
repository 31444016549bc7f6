// bench/run-latency: `skiff run --rm diamol/base true` against `crun run` of the same rootfs and
// `podman run --rm` of the same image, all with no network (lo only) so the comparison is like for
// like, plus skiff with its default bridge network. Reported two ways (docs/facts.md): end to end, and
// the engine's own work = end to end minus the CLI's start-up (`skiff --version`). skiff is measured
// through its front door (bin/skiff → the resident server's ready worker) and, for comparison, with
// SKIFF_WARM=off (a Node start per command, as before the front door).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { assertPrivateNetns, interleaved, median, p90, pause, SETTLE_MS, sh, summaryRow, table, timeOnce } from './lib.js';

assertPrivateNetns();
// crun 1.8 refuses this kind of hybrid host outright ("cgroups in hybrid mode not supported"); in the
// bench's private mount namespace the empty v2 hierarchy is unmounted, so no contender uses cgroups.
spawnSync('umount', ['/sys/fs/cgroup/unified'], { stdio: 'ignore' });
const rounds = Number(process.env.ROUNDS ?? 15);
const root = resolve(import.meta.dirname, '..');
const skiff = join(root, 'bin/skiff');
const lab = join(root, 'rootfs/build/lab/docker.io/diamol/base');
const work = mkdtempSync('/tmp/skiff-bench-');
const env = { ...process.env, SKIFF_ROOT: join(work, 'store') };
const cold = { ...env, SKIFF_WARM: 'off' };
/** A skiff command after the settle pause (not counted), so its front door has a worker ready. */
const settled = (args: string[], e = env) => () => {
  pause(SETTLE_MS);
  return timeOnce(skiff, args, { env: e });
};
try {
  sh(skiff, ['lab', 'load'], { env });
  // The same image as an OCI bundle for crun (umoci is the reference unpacker).
  const bundle = join(work, 'bundle');
  mkdirSync(bundle);
  sh('umoci', ['raw', 'unpack', '--image', `${lab}:latest`, join(bundle, 'rootfs')]);
  sh('crun', ['spec', '--rootless'], { cwd: bundle });
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  spec.process.args = ['true'];
  spec.process.terminal = false;
  spec.linux.namespaces = [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }];
  delete spec.linux.uidMappings;
  delete spec.linux.gidMappings;
  delete spec.linux.resources;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  sh('skopeo', ['copy', '-q', `oci:${lab}:latest`, 'containers-storage:docker.io/diamol/base:latest']);
  let n = 0;
  const series = interleaved(rounds, usable([
    { name: 'skiff --version (CLI start-up)', run: settled(['--version']) },
    { name: 'skiff run --rm --network none', run: settled(['run', '--rm', '--network', 'none', 'diamol/base', 'true']) },
    { name: 'skiff run --rm (bridge)', run: settled(['run', '--rm', 'diamol/base', 'true']) },
    { name: 'no front door: skiff --version', run: settled(['--version'], cold) },
    { name: 'no front door: skiff run --rm --network none', run: settled(['run', '--rm', '--network', 'none', 'diamol/base', 'true'], cold) },
    { name: 'crun run', run: () => timeOnce('crun', ['--cgroup-manager=disabled', 'run', '--bundle', bundle, `bench-${process.pid}-${n++}`]) },
    { name: 'runc run', run: () => timeOnce('runc', ['run', '--bundle', bundle, `bench-runc-${process.pid}-${n++}`]) },
    { name: 'podman run --rm --network none', run: () => timeOnce('podman', ['run', '--rm', '--pull', 'never', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--cgroups', 'disabled', 'docker.io/diamol/base:latest', 'true']) },
  ]));
  const med = Object.fromEntries(series.map((s) => [s.name, median(s.samples)]));
  const crun = med['crun run']!;
  const cli = med['skiff --version (CLI start-up)']!;
  const rows = [['contender', 'median ms', 'p90 ms', '× crun']];
  for (const s of series) rows.push([s.name, med[s.name]!.toFixed(1), p90(s.samples).toFixed(1), (med[s.name]! / crun).toFixed(2)]);
  const engine = med['skiff run --rm --network none']! - cli;
  const engineBridge = med['skiff run --rm (bridge)']! - cli;
  rows.push(['skiff engine work (run none − CLI start-up)', engine.toFixed(1), '', (engine / crun).toFixed(2)]);
  rows.push(['skiff engine work (run bridge − CLI start-up)', engineBridge.toFixed(1), '', (engineBridge / crun).toFixed(2)]);
  console.log(`run-latency, ${rounds} interleaved rounds, /bin/true in diamol/base\n`);
  console.log(table(rows));
  const podman = med['podman run --rm --network none'];
  const none = med['skiff run --rm --network none']!;
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(`\nsettle pause before each skiff command: ${SETTLE_MS} ms (not counted)`);
  if (podman) console.log(`target: run --rm (none) ≤ 0.5× podman → ${verdict(none / podman <= 0.5)} (${(none / podman).toFixed(2)}×: ${none.toFixed(1)} vs ${podman.toFixed(1)} ms)`);
  const bridgeCost = med['skiff run --rm (bridge)']! - none;
  // Under load the two medians can come out either way round: print the sign as measured.
  const signed = (x: string) => (bridgeCost < 0 ? x : `+${x}`);
  console.log(`target: bridge ≤ none + 15 ms → ${verdict(bridgeCost <= 15)} (${signed(`${bridgeCost.toFixed(1)} ms`)})`);
  console.log(`target: skiff engine work ≤ 1.5× crun → ${verdict(engine / crun <= 1.5)} (${(engine / crun).toFixed(2)}×)`);
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  if (podman) summaryRow('run --rm --network none diamol/base true', ms(none), `podman ${ms(podman)}`, `${(none / podman).toFixed(2)}×`, '≤ 0.5×', none / podman <= 0.5);
  summaryRow('the same with the default bridge', ms(med['skiff run --rm (bridge)']!), `none ${ms(none)}`, signed(ms(bridgeCost)), '≤ +15 ms', bridgeCost <= 15);
  summaryRow('engine work (run none − --version)', ms(engine), `crun run ${ms(crun)}`, `${(engine / crun).toFixed(2)}×`, '≤ 1.5×', engine / crun <= 1.5);
  summaryRow('skiff --version through the front door', ms(cli), `no front door ${ms(med['no front door: skiff --version']!)}`, `${(cli / med['no front door: skiff --version']!).toFixed(2)}×`, '');
} finally {
  rmSync(work, { recursive: true, force: true });
  spawnCleanup();
}

/** A peer that cannot run on this machine is reported and left out, not allowed to sink the bench. */
function usable(cs: Array<{ name: string; run: () => number }>): Array<{ name: string; run: () => number }> {
  return cs.filter((c) => {
    try {
      c.run();
      return true;
    } catch (e) {
      console.log(`(left out: ${c.name}: ${(e as Error).message.split('\n')[0]})`);
      return false;
    }
  });
}

function spawnCleanup(): void {
  try {
    sh('podman', ['rmi', '-f', 'docker.io/diamol/base:latest']);
  } catch {
    // already gone
  }
}
