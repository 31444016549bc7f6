// From `skiff run` flags to a running container: validate the flags, make sure the image is here
// (pulling it with Docker's messages when it is not), create the container, start it.
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';
import type { RunFlags } from './run-flags.js';
import { checkRunInputs } from './run-inputs.js';
import { discardOomKillDisable, parseLabels, parseRunExtras, readListFile } from './run-extras.js';
import { parseMountSpec, parseTmpfsSpec } from '../volumes/mount-spec.js';
import { createFromRequest, startContainer, type RunRequest } from './run.js';

export async function requestFromFlags(image: string, command: string[], flags: RunFlags): Promise<RunRequest> {
  const f: RunFlags = { ...flags, volume: (flags.volume ?? []).map((v) => absoluteVolumeSource(v)) };
  checkRunInputs(f);
  const network = f.network ?? 'bridge';
  // Docker's `default` is the bridge; any other name must be a network that exists.
  const { requireNetwork } = await import('../network/networks.js');
  const netName = network === 'default' ? 'bridge' : requireNetwork(network).Name;
  const pull = f.pull ?? 'missing';
  if (pull !== 'missing' && pull !== 'always' && pull !== 'never') throw new SkiffError('EUSAGE', `invalid pull option: '${pull}'`, 'use --pull always, missing or never');
  const { parseRestartPolicy } = await import('./update.js');
  const restart = parseRestartPolicy(f.restart ?? 'no');
  if (f.rm && f.restart && f.restart !== 'no') throw new SkiffError('EUSAGE', 'conflicting options: cannot specify both --restart and --rm', 'choose one');
  const env = [...(f.envFile ?? []).flatMap((p) => readListFile(p, '--env-file')), ...(f.env ?? [])];
  checkPlatform(f.platform);
  const extras = parseRunExtras(f);
  const labels = parseLabels(f.label ?? [], f.labelFile ?? []);
  if (f.mount?.length) extras.Mounts = f.mount.map(parseMountSpec);
  if (f.tmpfs?.length) extras.Tmpfs = Object.fromEntries(f.tmpfs.map(parseTmpfsSpec));
  const oomWarning = discardOomKillDisable(extras);
  if (oomWarning) process.stderr.write(`WARNING: ${oomWarning}\n`);
  if (f.cidfile !== undefined && existsSync(f.cidfile)) {
    throw new SkiffError('EUSAGE', `container ID file found, make sure the other container isn't running or delete ${f.cidfile}`, 'remove the file or pick another --cidfile');
  }
  const { parseLimits } = await import('../cgroups/index.js');
  const limits = parseLimits({ memory: f.memory, memorySwap: f.memorySwap, cpus: f.cpus, cpuShares: f.cpuShares, pidsLimit: f.pidsLimit, cpusetCpus: f.cpusetCpus });
  // Docker: 0 and -1 both mean unlimited; unset means the default cap (see security/index.ts).
  if (limits.pidsLimit !== undefined && limits.pidsLimit <= 0) limits.pidsLimit = -1;
  const { securityFromFlags } = await import('./run-security.js');
  const security = securityFromFlags(f);
  return {
    image, command, name: f.name, rm: !!f.rm, detach: !!f.detach, tty: !!f.tty, interactive: !!f.interactive, env,
    workdir: f.workdir, user: f.user, entrypoint: f.entrypoint, hostname: f.hostname, volumes: f.volume ?? [],
    publish: f.publish ?? [], publishAll: !!f.publishAll, network: netName, limits, pull, platform: f.platform, init: !!f.init, restart,
    security, labels, extras,
  };
}

/** docker/cli: a -v source starting with "." is a path relative to the caller's working directory. */
export function absoluteVolumeSource(v: string, cwd = process.cwd()): string {
  const i = v.indexOf(':');
  if (i <= 0 || !v.startsWith('.')) return v;
  return resolve(cwd, v.slice(0, i)) + v.slice(i);
}

/** skiff runs the machine's own architecture only; --platform names it or fails before any pull. */
export function checkPlatform(platform: string | undefined, arch = hostArch()): void {
  if (platform === undefined || platform === '') return;
  const [os = '', a = arch, variant] = platform.toLowerCase().split('/');
  const archOk = a === arch || (arch === 'amd64' && a === 'x86_64');
  if (os !== 'linux' || !archOk || (variant !== undefined && arch === 'amd64' && !/^v[1-4]$/.test(variant))) {
    throw new SkiffError('EUSAGE', `image platform "${platform}" is not supported: this engine runs linux/${arch} containers only`,
      `drop --platform or use --platform linux/${arch} (there is no emulation for other architectures)`);
  }
}

function hostArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[process.arch] ?? process.arch;
}

/** --cidfile: the new container's id, written once it exists (Docker writes it at create). */
export function writeCidfile(path: string | undefined, id: string): void {
  if (path === undefined) return;
  try {
    writeFileSync(path, id, { flag: 'wx', mode: 0o644 });
  } catch (e) {
    throw new SkiffError('EUSAGE', `failed to create the container ID file: ${(e as Error).message}`, 'check the --cidfile path');
  }
}

export async function prepareImage(req: RunRequest) {
  const { ensureImage } = await import('../image/ensure.js');
  return ensureImage(req.image, { pull: req.pull, platform: req.platform, out: (line: string) => process.stderr.write(line + '\n') });
}

export async function runCommand(image: string, command: string[], flags: RunFlags): Promise<number> {
  const req = await requestFromFlags(image, command, flags);
  const streams = attachStreams(flags, req.detach);
  const { isatty } = await import('node:tty');
  // Docker refuses only a terminal session without a terminal (-it, stdin attached); `-t` alone runs.
  if (req.tty && req.interactive && streams.stdin && !req.detach && !isatty(0)) {
    throw new SkiffError('EUSAGE', 'the input device is not a TTY', 'drop -i or -t, or run skiff from a terminal', { exitCode: 1 });
  }
  const sigProxy = parseBool('sig-proxy', flags.sigProxy, true);
  if (flags.detachKeys !== undefined) {
    const { parseDetachKeys } = await import('./attach.js');
    parseDetachKeys(flags.detachKeys);
  }
  trace.step('engine', `looking up image ${req.image}`);
  const img = await prepareImage(req);
  trace.step('engine', `image ${img.ref} is ${img.id.slice(7, 19)}, ${img.layerDirs.length} layers unpacked`);
  const config = await createFromRequest(req, img);
  trace.step('engine', `container ${config.Id.slice(0, 12)} created as ${config.Name}`);
  try {
    writeCidfile(flags.cidfile, config.Id);
  } catch (e) {
    await discard(config.Id);
    throw e;
  }
  if (req.detach) {
    await startContainer(config.Id, { attach: false, trace: trace.enabled }).catch(async (e) => {
      await discard(config.Id);
      throw e;
    });
    process.stdout.write(config.Id + '\n');
    return 0;
  }
  try {
    const code = await startContainer(config.Id, { attach: true, trace: trace.enabled, streams, sigProxy, detachKeys: flags.detachKeys });
    // undefined: the user detached (ctrl-p ctrl-q); the supervisor finishes the container when it ends.
    if (code === undefined) return 0;
    const { finishContainer } = await import('./exit.js');
    await finishContainer(config.Id);
    return code;
  } catch (e) {
    // A container that never started leaves nothing behind (Docker would keep it as Created; a half-made
    // container is exactly what the user cannot clean up by intuition).
    await discard(config.Id);
    throw e;
  }
}

/** Docker's -a/--attach STDIN|STDOUT|STDERR: which streams a foreground run relays (all by default). */
export function attachStreams(f: RunFlags, detach: boolean): { stdin: boolean; stdout: boolean; stderr: boolean } {
  const list = f.attach ?? [];
  if (list.length === 0) return { stdin: true, stdout: true, stderr: true };
  if (detach) throw new SkiffError('EUSAGE', 'conflicting options: cannot specify both --attach and --detach', 'choose one');
  const want = new Set<string>();
  for (const a of list) {
    const s = a.toLowerCase();
    if (s !== 'stdin' && s !== 'stdout' && s !== 'stderr') {
      throw new SkiffError('EUSAGE', `invalid argument "${a}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`, 'e.g. -a stdout -a stderr');
    }
    want.add(s);
  }
  return { stdin: want.has('stdin'), stdout: want.has('stdout'), stderr: want.has('stderr') };
}

/** A Docker boolean flag given as --flag, --flag=true or --flag=false. */
function parseBool(name: string, v: string | boolean | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (v === true || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new SkiffError('EUSAGE', `invalid argument "${String(v)}" for "--${name}" flag: use true or false`, `e.g. --${name}=false`);
}

async function discard(id: string): Promise<void> {
  const { removeContainerFiles } = await import('./exit.js');
  await removeContainerFiles(id).catch(() => {});
}
