// From `skiff run` flags to a running container: validate the flags, make sure the image is here
// (pulling it with Docker's messages when it is not), create the container, start it.
import { readFileSync } from 'node:fs';
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';
import type { RunFlags } from './run-flags.js';
import { createFromRequest, startContainer, type RunRequest, type RunSecurity } from './run.js';

export async function requestFromFlags(image: string, command: string[], f: RunFlags): Promise<RunRequest> {
  const network = f.network ?? 'bridge';
  // Docker's `default` is the bridge; any other name must be a network that exists.
  const { requireNetwork } = await import('../network/networks.js');
  const netName = network === 'default' ? 'bridge' : requireNetwork(network).Name;
  const pull = f.pull ?? 'missing';
  if (pull !== 'missing' && pull !== 'always' && pull !== 'never') throw new SkiffError('EUSAGE', `invalid pull option: '${pull}'`, 'use --pull always, missing or never');
  const { parseRestartPolicy } = await import('./update.js');
  const restart = parseRestartPolicy(f.restart ?? 'no');
  if (f.rm && f.restart && f.restart !== 'no') throw new SkiffError('EUSAGE', 'conflicting options: cannot specify both --restart and --rm', 'choose one');
  const env = [...(f.envFile ?? []).flatMap(readEnvFile), ...(f.env ?? [])];
  const { parseLimits } = await import('../cgroups/index.js');
  const limits = parseLimits({ memory: f.memory, memorySwap: f.memorySwap, cpus: f.cpus, cpuShares: f.cpuShares, pidsLimit: f.pidsLimit, cpusetCpus: f.cpusetCpus });
  // Docker: 0 and -1 both mean unlimited; unset means the default cap (see security/index.ts).
  if (limits.pidsLimit !== undefined && limits.pidsLimit <= 0) limits.pidsLimit = -1;
  const sec = await import('../security/index.js');
  const security: RunSecurity = {
    SecurityOpt: sec.parseSecurityOpts(f.securityOpt ?? []),
    CapAdd: (f.capAdd ?? []).map(sec.normalizeCapability), CapDrop: (f.capDrop ?? []).map(sec.normalizeCapability),
    Privileged: !!f.privileged, ReadonlyRootfs: !!f.readOnly, Devices: (f.device ?? []).map(sec.parseDevice),
  };
  // The set must be computable now (an unknown name fails here, before anything exists).
  sec.effectiveCapabilities(security.CapAdd, security.CapDrop, security.Privileged);
  return {
    image, command, name: f.name, rm: !!f.rm, detach: !!f.detach, tty: !!f.tty, interactive: !!f.interactive, env,
    workdir: f.workdir, user: f.user, entrypoint: f.entrypoint, hostname: f.hostname, volumes: f.volume ?? [],
    publish: f.publish ?? [], publishAll: !!f.publishAll, network: netName, limits, pull, platform: f.platform, init: !!f.init, restart,
    security,
  };
}

function readEnvFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new SkiffError('EUSAGE', `open ${path}: no such file or directory`, 'check the --env-file path');
  }
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

export async function prepareImage(req: RunRequest) {
  const { ensureImage } = await import('../image/ensure.js');
  return ensureImage(req.image, { pull: req.pull, platform: req.platform, out: (line: string) => process.stderr.write(line + '\n') });
}

export async function runCommand(image: string, command: string[], flags: RunFlags): Promise<number> {
  const req = await requestFromFlags(image, command, flags);
  if (req.tty && !req.detach && !process.stdin.isTTY) {
    throw new SkiffError('EUSAGE', 'the input device is not a TTY', 'drop -t, or run skiff from a terminal');
  }
  trace.step('engine', `looking up image ${req.image}`);
  const img = await prepareImage(req);
  trace.step('engine', `image ${img.ref} is ${img.id.slice(7, 19)}, ${img.layerDirs.length} layers unpacked`);
  const config = await createFromRequest(req, img);
  trace.step('engine', `container ${config.Id.slice(0, 12)} created as ${config.Name}`);
  if (req.detach) {
    await startContainer(config.Id, { attach: false, trace: trace.enabled }).catch(async (e) => {
      await discard(config.Id);
      throw e;
    });
    process.stdout.write(config.Id + '\n');
    return 0;
  }
  try {
    const code = (await startContainer(config.Id, { attach: true, trace: trace.enabled })) ?? 0;
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

async function discard(id: string): Promise<void> {
  const { removeContainerFiles } = await import('./exit.js');
  await removeContainerFiles(id).catch(() => {});
}
