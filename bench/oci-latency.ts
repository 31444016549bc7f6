// bench/oci-latency: one container's life as containerd drives a runtime — create, start, wait for
// its process to end, delete — through skiff-oci, crun and runc, interleaved round by round, on the
// same busybox bundle (`true`, no network namespace traffic, no cgroup limits). Also each verb of
// skiff-oci alone and Node's bare start, to show where skiff-oci's time goes (docs/facts.md: a Node start
// is several crun runs).
import { copyFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { assertPrivateNetns, interleaved, median, p90, sh, table, timeOnce } from './lib.js';

assertPrivateNetns();
// crun refuses this hybrid host unless the empty v2 hierarchy is gone (here only in the bench's mount ns).
spawnSync('umount', ['/sys/fs/cgroup/unified'], { stdio: 'ignore' });
const rounds = Number(process.env.ROUNDS ?? 15);
const top = resolve(import.meta.dirname, '..');
const skiffOci = join(top, 'bin/skiff-oci');
const work = mkdtempSync('/tmp/skiff-oci-bench-');
try {
  const bundle = join(work, 'bundle');
  mkdirSync(join(bundle, 'rootfs/bin'), { recursive: true });
  for (const d of ['proc', 'dev', 'sys', 'tmp']) mkdirSync(join(bundle, 'rootfs', d));
  copyFileSync('/bin/busybox', join(bundle, 'rootfs/bin/busybox'));
  chmodSync(join(bundle, 'rootfs/bin/busybox'), 0o755);
  for (const a of ['sh', 'true']) symlinkSync('busybox', join(bundle, 'rootfs/bin', a));
  sh('runc', ['spec'], { cwd: bundle });
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  spec.process.args = ['true'];
  spec.process.terminal = false;
  spec.root.readonly = false;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));

  const gone = (pid: number) => {
    try { return /^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return true; }
  };
  let n = 0;
  const life = (bin: string, rootDir: string, env?: NodeJS.ProcessEnv) => () => {
    const id = `b${n++}`;
    const pidFile = join(work, `${id}.pid`);
    const t0 = process.hrtime.bigint();
    // stdio to /dev/null: the container's init inherits it, so a pipe would stay open until it exits.
    const run = (args: string[]) => timeOnce(bin, ['--root', rootDir, ...args], { stdio: 'ignore', env });
    run(['create', '--bundle', bundle, '--pid-file', pidFile, id]);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    run(['start', id]);
    while (!gone(pid)) spawnSync('true');
    run(['delete', id]);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const contenders = [
    { name: 'skiff-oci', run: life(skiffOci, join(work, 'skiff')) },
    // The same without the warm front door: a Node start per call (what skiff-oci cost before it).
    { name: 'skiff-oci SKIFF_WARM=off', run: life(skiffOci, join(work, 'skiff-cold'), { ...process.env, SKIFF_WARM: 'off' }) },
    { name: 'crun', run: life('crun', join(work, 'crun')) },
    { name: 'runc', run: life('runc', join(work, 'runc')) },
  ];
  const series = interleaved(rounds, contenders);
  const crun = median(series.find((s) => s.name === 'crun')!.samples);
  console.log(`create + start + wait + delete of one bundle, ${rounds} interleaved rounds (ms)`);
  console.log(table([['runtime', 'median', 'p90', 'vs crun'], ...series.map((s) => [s.name, median(s.samples).toFixed(1), p90(s.samples).toFixed(1), `${(median(s.samples) / crun).toFixed(2)}x`])]));

  // Where skiff-oci's time goes: a bare Node start, the CLI loaded (--version), and each verb.
  const parts = interleaved(rounds, [
    { name: 'node -e 0', run: () => timeOnce('node', ['-e', '0']) },
    { name: 'skiff-oci --version', run: () => timeOnce(skiffOci, ['--version']) },
    { name: 'crun --version', run: () => timeOnce('crun', ['--version']) },
  ]);
  console.log('\nstart-up (ms)');
  console.log(table([['command', 'median', 'p90'], ...parts.map((s) => [s.name, median(s.samples).toFixed(1), p90(s.samples).toFixed(1)])]));
  const verbs: Record<string, number[]> = { create: [], start: [], state: [], delete: [] };
  for (let i = 0; i < rounds; i++) {
    const id = `v${i}`;
    const r = join(work, 'skiff');
    const pidFile = join(work, `${id}.pid`);
    verbs.create!.push(timeOnce(skiffOci, ['--root', r, 'create', '--bundle', bundle, '--pid-file', pidFile, id], { stdio: 'ignore' }));
    verbs.start!.push(timeOnce(skiffOci, ['--root', r, 'start', id]));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    while (!gone(pid)) spawnSync('true');
    verbs.state!.push(timeOnce(skiffOci, ['--root', r, 'state', id]));
    verbs.delete!.push(timeOnce(skiffOci, ['--root', r, 'delete', id]));
  }
  console.log('\nskiff-oci per verb (ms)');
  console.log(table([['verb', 'median', 'p90'], ...Object.entries(verbs).map(([k, v]) => [k, median(v).toFixed(1), p90(v).toFixed(1)])]));
} finally {
  rmSync(work, { recursive: true, force: true });
}
