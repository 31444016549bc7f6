// `skiff run` and `skiff create`/`start`: image → container record → rootfs dirs → cgroup → network →
// launch plan → process → state. Whatever was made is undone in reverse order when a step fails, so a
// bad run leaves no record, directory, cgroup, address or rule behind.
import { recordContainerEvent } from '../state/events.js';
import { existsSync, mkdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { mountsBeneath } from '../kernel/mount-table.js';
import { randomBytes } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';
import { storePaths } from '../state/paths.js';
import { attachSocketPath, createContainer, deleteContainerRecord, exitFilePath, logPath, readConfig, updateState } from '../state/containers.js';
import { nowIso, type ContainerConfig } from '../state/container-record.js';
import { buildContainerPlan, type BindSpec, type TmpfsSpec } from '../spawn/container-plan.js';
import { MS } from '../spawn/mount-flags.js';
import { launch } from '../spawn/launch.js';
import { processStartTime } from '../kernel/process-identity.js';
import { pathOf, processSpec, withHome } from './process-spec.js';
import { resolveUser } from './user-lookup.js';
import { containerIdMaps, gidMapped, setgroupsAllowed } from './id-maps.js';
import { cliInvocation } from './self.js';
import { nativeBinary } from '../native.js';

/** Where --init's pid 1 appears inside the container (Docker's is /sbin/docker-init). */
const INIT_PATH = '/sbin/skiff-init';
import { createVolume } from '../volumes/store.js';
import { parseVolumeSpec } from '../volumes/spec.js';
import type { Limits } from '../cgroups/index.js';
import type { HealthConfig, MountEntry, RunExtras } from '../state/container-record.js';
import { tmpfsMountArgs } from '../volumes/mount-spec.js';
import { localVolumeMount } from '../volumes/local-driver.js';
import { extraHostEntries, logRotation } from './run-extras.js';
import { healthProbe, initialHealth } from './health.js';
import { fromPortBindings, portsForState, toPortBindings } from './port-bindings.js';

export interface RunRequest {
  image: string;
  command: string[];
  name?: string;
  rm: boolean;
  detach: boolean;
  tty: boolean;
  interactive: boolean;
  env: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  hostname?: string;
  volumes: string[];
  publish: string[];
  publishAll: boolean;
  /** bridge, host, none, or the name of a network made with `network create`. */
  network: string;
  limits: Limits;
  pull: 'missing' | 'always' | 'never';
  platform?: string;
  /** --init: skiff-init as pid 1, reaping zombies and forwarding signals to the command. */
  init: boolean;
  restart: { Name: string; MaximumRetryCount: number };
  /** Added to the image's labels (compose finds its containers by these). */
  labels?: Record<string, string>;
  /** More names this container answers to on its user network (compose's service name). */
  aliases?: string[];
  /** --security-opt, --cap-add/--cap-drop, --privileged, --read-only, --device: validated, as stored in HostConfig. */
  security?: RunSecurity;
  /** --mount, --tmpfs, --add-host, --dns*, --ulimit, --health-*, --log-*, --stop-*, --expose … (src/engine/run-extras.ts). */
  extras?: RunExtras;
}

export interface RunSecurity {
  SecurityOpt: string[]; CapAdd: string[]; CapDrop: string[]; Privileged: boolean; ReadonlyRootfs: boolean;
  Devices: Array<{ PathOnHost: string; PathInContainer: string; CgroupPermissions: string }>;
}

export interface ImageForRun {
  id: string;
  ref: string;
  config: { config?: {
    Entrypoint?: string[] | null; Cmd?: string[] | null; Env?: string[] | null; WorkingDir?: string; User?: string; ExposedPorts?: Record<string, object>; Labels?: Record<string, string> | null;
    Healthcheck?: HealthConfig | null; StopSignal?: string;
  } };
  layerDirs: string[];
}

/** Create the container's record and directories; nothing runs yet. */
export async function createFromRequest(req: RunRequest, image: ImageForRun): Promise<ContainerConfig> {
  const img = image.config.config ?? {};
  // Checked now, so a bad -v fails before anything exists (and a missing host dir is made, as Docker does).
  req.volumes.forEach(parseVolume);
  // --mount type=bind never makes its source: Docker refuses a missing one.
  for (const m of req.extras?.Mounts ?? []) {
    if (m.Type === 'bind' && !existsSync(m.Source)) {
      throw new SkiffError('EINVALID', `invalid mount config for type "bind": bind source path does not exist: ${m.Source}`, 'create it first, or use -v (which makes a missing directory)');
    }
  }
  const { parsePortSpecs, publishAllSpecs } = await import('../network/port-spec.js');
  const x = req.extras ?? {};
  const exposed = { ...(img.ExposedPorts ?? {}), ...(x.ExposedPorts ?? {}) };
  const ports = [...req.publish.flatMap(parsePortSpecs), ...(req.publishAll ? publishAllSpecs(exposed) : [])];
  // A published port is exposed too (Docker adds it to Config.ExposedPorts).
  for (const p of ports) exposed[`${p.containerPort}/${p.proto}`] ??= {};
  const healthcheck = mergeHealthcheck(img.Healthcheck ?? undefined, x.Healthcheck);
  const rec = await createContainer({
    Name: req.name,
    Path: '', Args: [],
    Image: image.id, ImageRef: req.image,
    Config: {
      Hostname: req.hostname ?? '', User: req.user ?? img.User ?? '', Env: req.env, Cmd: req.command.length ? req.command : img.Cmd ?? null,
      Entrypoint: req.entrypoint !== undefined ? (req.entrypoint ? [req.entrypoint] : null) : img.Entrypoint ?? null,
      WorkingDir: req.workdir ?? img.WorkingDir ?? '', Tty: req.tty, OpenStdin: req.interactive, AttachStdin: req.interactive,
      AttachStdout: !req.detach, AttachStderr: !req.detach, Labels: { ...(img.Labels ?? {}), ...(req.labels ?? {}) }, ExposedPorts: exposed, Image: req.image,
      ...(x.Domainname !== undefined ? { Domainname: x.Domainname } : {}),
      ...(x.StopSignal ?? img.StopSignal ? { StopSignal: x.StopSignal ?? img.StopSignal } : {}),
      ...(x.StopTimeout !== undefined ? { StopTimeout: x.StopTimeout } : {}),
      ...(healthcheck ? { Healthcheck: healthcheck } : {}),
    },
    HostConfig: {
      AutoRemove: req.rm, Binds: req.volumes, PortBindings: toPortBindings(ports), NetworkMode: req.network,
      Memory: req.limits.memory ?? 0, MemorySwap: req.limits.memorySwap ?? 0, NanoCpus: req.limits.nanoCpus ?? 0,
      CpuShares: req.limits.cpuShares ?? 0, PidsLimit: req.limits.pidsLimit ?? 0, CpusetCpus: req.limits.cpusetCpus ?? '',
      RestartPolicy: req.restart, Init: req.init,
      SecurityOpt: req.security?.SecurityOpt.length ? req.security.SecurityOpt : null,
      CapAdd: req.security?.CapAdd.length ? req.security.CapAdd : null, CapDrop: req.security?.CapDrop.length ? req.security.CapDrop : null,
      Privileged: !!req.security?.Privileged, ReadonlyRootfs: !!req.security?.ReadonlyRootfs, Devices: req.security?.Devices ?? [],
      ...hostExtras(x),
    },
    Rootfs: { lowerDirs: image.layerDirs, upperDir: '', workDir: '' },
    ...(req.aliases?.length ? { NetworkAliases: req.aliases } : {}),
  });
  const id = rec.config.Id;
  try {
    // --network host keeps the host's name, as Docker does; otherwise the short id.
    const hostname = req.hostname ?? (req.network === 'host' ? osHostname() : id.slice(0, 12));
    const proc = processSpec(img, { command: req.command, entrypoint: req.entrypoint, env: req.env, workdir: req.workdir, user: req.user, tty: req.tty, hostname });
    const dir = join(storePaths().containers, id);
    const upperDir = join(dir, 'upper'), workDir = join(dir, 'work');
    // The upper dir's mode becomes the mode of the container's "/": 0755 as in every image.
    mkdirSync(upperDir, { recursive: true, mode: 0o755 });
    for (const d of [workDir, join(dir, 'rootfs')]) mkdirSync(d, { recursive: true, mode: 0o700 });
    trace.step('fs', `mkdir ${upperDir} ${workDir}`, 'the container\'s private writable layer');
    const config: ContainerConfig = {
      ...rec.config,
      Path: proc.args[0]!, Args: proc.args.slice(1),
      Config: { ...rec.config.Config, Hostname: hostname, Env: proc.env, WorkingDir: proc.cwd, User: proc.user },
      HostConfig: { ...rec.config.HostConfig, ...(x.Mounts ? { Mounts: x.Mounts.map(namedMount) } : {}) },
      Rootfs: { lowerDirs: image.layerDirs, upperDir, workDir },
    };
    const { writeJsonAtomic } = await import('../state/atomic.js');
    writeJsonAtomic(join(dir, 'config.json'), config);
    return config;
  } catch (e) {
    await deleteContainerRecord(id).catch(() => {});
    rmSync(join(storePaths().containers, id), { recursive: true, force: true });
    throw e;
  }
}

export interface StartOptions {
  attach: boolean;
  trace: boolean;
  /** Attached: which of the caller's streams to relay (Docker's -a; default stdout and stderr, and stdin when the container has -i). */
  streams?: { stdin: boolean; stdout: boolean; stderr: boolean };
  /** Attached: pass the signals this process gets on to the container (Docker's --sig-proxy, default true). */
  sigProxy?: boolean;
  /** Attached with stdin: Docker's --detach-keys (default ctrl-p,ctrl-q). */
  detachKeys?: string;
}

/**
 * Catch these signals for a while; after `release` the first one caught (then or later) ends the process
 * the default way, as if it had just arrived; `drop` forgets them (the command is failing anyway). The
 * handlers stay until then: a signal already taken by Node but not yet dispatched is never lost.
 */
function holdSignals(signals: NodeJS.Signals[]): { release(): void; drop(): void } {
  let caught: NodeJS.Signals | undefined;
  let released = false;
  const drop = () => {
    for (const sig of signals) process.off(sig, hold);
  };
  const die = (sig: NodeJS.Signals) => {
    drop();
    process.kill(process.pid, sig);
  };
  function hold(sig: NodeJS.Signals) {
    if (released) die(sig);
    else caught ??= sig;
  }
  for (const sig of signals) process.on(sig, hold);
  return {
    drop,
    release() {
      released = true;
      if (caught) die(caught);
    },
  };
}

/** Signals a foreground CLI passes on to the container's supervisor (SIGWINCH: the terminal's size). */
const PROXIED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/**
 * Start a created container. Every container gets the same supervisor (skiff-runtime after execve):
 * it owns the container's pty or stdio pipes, writes the json-file log, serves `attach`, records the
 * exit. Attached, it also relays this process's stdin/stdout/stderr (the container itself never holds
 * them) and this resolves with the exit code when the container ends (the caller then runs exit.ts's
 * finishContainer), or with undefined when the user detached (ctrl-p ctrl-q): the supervisor then
 * goes on alone. Detached: resolves once it runs.
 */
export async function startContainer(id: string, opts: StartOptions): Promise<number | undefined> {
  const c = readConfig(id);
  const paths = storePaths();
  const dir = join(paths.containers, id);
  const maps = containerIdMaps();
  const user = resolveUser(c.Config.User, c.Rootfs.lowerDirs, c.HostConfig.GroupAdd ?? []);
  if (user.uid >= maps.uids || user.gid >= maps.gids) {
    throw new SkiffError('EUSERNS', `user ${c.Config.User} (uid ${user.uid}) is outside the ids this engine can map (0–${maps.uids - 1})`,
      'give your user a subordinate id range in /etc/subuid and /etc/subgid (skiff doctor shows how)');
  }
  const relay = opts.attach ? await foregroundRelay(c.Config.Tty, !!c.Config.OpenStdin, opts) : undefined;
  // A foreground run / start -a attaches before it starts, as the docker CLI does: moby's `attach` event.
  if (opts.attach) recordContainerEvent(c, 'attach');
  const undo: Array<() => Promise<void>> = [];
  try {
    const { createContainerCgroup, removeContainerCgroup } = await import('../cgroups/index.js');
    const { containerConfinement } = await import('./confinement.js');
    const confine = containerConfinement(c.HostConfig);
    const limits: Limits = {
      memory: c.HostConfig.Memory || undefined, memorySwap: c.HostConfig.MemorySwap || undefined, nanoCpus: c.HostConfig.NanoCpus || undefined,
      cpuShares: c.HostConfig.CpuShares || undefined, pidsLimit: confine.cgroupPidsLimit, cpusetCpus: c.HostConfig.CpusetCpus || undefined,
    };
    const cgroupDir = await createContainerCgroup(id, limits);
    if (cgroupDir) undo.push(() => removeContainerCgroup(id));
    const net = await import('../network/index.js');
    const mode = c.HostConfig.NetworkMode === 'host' ? 'host' : c.HostConfig.NetworkMode === 'none' ? 'none' : 'bridge';
    const h = c.HostConfig;
    const custom = {
      extraHosts: extraHostEntries(h.ExtraHosts), dns: h.Dns ?? [], dnsSearch: h.DnsSearch ?? [], dnsOptions: h.DnsOptions ?? [],
      ...(c.Config.Domainname ? { domainname: c.Config.Domainname } : {}),
    };
    const prepared = await net.prepareNetwork({ id, name: c.Name, hostname: c.Config.Hostname, mode,  ports: fromPortBindings(c.HostConfig.PortBindings), network: c.HostConfig.NetworkMode, ...(c.NetworkAliases?.length ? { aliases: c.NetworkAliases } : {}), custom });
    undo.push(() => net.releaseNetwork(id));
    const binds: BindSpec[] = [
      { source: prepared.files.hosts, target: '/etc/hosts', readonly: false, kind: 'file' },
      { source: prepared.files.hostname, target: '/etc/hostname', readonly: false, kind: 'file' },
      { source: prepared.files.resolvConf, target: '/etc/resolv.conf', readonly: false, kind: 'file' },
      ...c.HostConfig.Binds.flatMap((v) => parseVolume(v).bind ?? []),
      ...(h.Mounts ?? []).filter((m) => m.Type !== 'tmpfs').flatMap((m) => mountBind(m).bind ?? []),
      ...(c.HostConfig.Init ? [{ source: nativeBinary('skiff-init'), target: INIT_PATH, readonly: true, kind: 'file' as const }] : []),
    ];
    // Docker's copy-up: an empty named volume takes what the image has at its target (before anything runs).
    const { copyUpVolumes, volumeCopies } = await import('./volume-copy-up.js');
    await copyUpVolumes(id, volumeCopies(c));
    const args = c.HostConfig.Init ? [INIT_PATH, '--', c.Path, ...c.Args] : [c.Path, ...c.Args];
    const detached = !opts.attach;
    const cleanupCmd = [...cliInvocation(), 'container', 'cleanup', id];
    const plan = buildContainerPlan({
      id, hostname: c.Config.Hostname,
      rootfs: { layersDir: paths.layers, lowerDirs: c.Rootfs.lowerDirs, upperDir: c.Rootfs.upperDir, workDir: c.Rootfs.workDir, mountPoint: join(dir, 'rootfs'), volatile: c.HostConfig.AutoRemove },
      process: { args, env: withHome(c.Config.Env, user.home), cwd: c.Config.WorkingDir || '/', uid: user.uid, gid: user.gid, groups: setgroupsAllowed() ? user.groups : null, tty: c.Config.Tty, path: pathOf(c.Config.Env) },
      idMap: { uid: maps.uid, gid: maps.gid }, ttyGroupMapped: gidMapped(5, maps),
      network: mode === 'host' ? 'host' : 'private', cgroupDir, binds,
      security: confine.security, privileged: confine.privileged, readonlyRootfs: confine.readonlyRootfs, devices: confine.devices,
      tmpfs: [...tmpfsMounts(h), ...volumeTmpfs(h)], ...(h.ShmSize ? { shmSize: h.ShmSize } : {}), ...(c.Config.Domainname ? { domainname: c.Config.Domainname } : {}),
      waitForGo: mode === 'bridge',
      // The same supervisor either way: a foreground client only adds the relay (and finishes the
      // container itself, unless it detaches or dies: then the supervisor runs the cleanup).
      supervise: {
        stdin: !!c.Config.OpenStdin, exitFile: exitFilePath(id), exitCmd: cleanupCmd, attachSocket: attachSocketPath(id), relay,
        ...(h.LogConfig?.Type === 'none' ? {} : { logPath: logPath(id), logRotation: logRotation(h.LogConfig?.Config) }),
        ...healthProbe(c, cliInvocation()),
      },
      trace: opts.trace,
    });
    rmSync(exitFilePath(id), { force: true });
    let live = prepared.ports;
    const onPid = async (pid: number) => {
      if (mode !== 'bridge') return;
      live = await net.connectNetwork(id, `/proc/${pid}/ns/net`);
    };
    const markRunning = (pid: number, shimPid: number) => updateState(id, (s) => ({
      ...s, Status: 'running', Running: true, Pid: pid, PidStart: processStartTime(pid), ShimPid: shimPid, ShimPidStart: processStartTime(shimPid),
      StartedAt: nowIso(), FinishedAt: '0001-01-01T00:00:00Z', ExitCode: 0, Error: '', CgroupPath: cgroupDir,
      NetworkSettings: { IPAddress: prepared.ip ?? '', Gateway: prepared.gateway ?? '', IPPrefixLen: prepared.prefixLen ?? 0, MacAddress: prepared.mac ?? '', Ports: portsForState(c.Config.ExposedPorts, live) },
      Health: initialHealth(c),
    })).then(() => recordContainerEvent(c, 'start'));
    if (detached) {
      const r = await launch(plan, { stdio: 'ignore', detached: true, onPid });
      await markRunning(r.pid, r.runtimePid).catch((e: unknown) => {
        // A --rm container whose process ended at once may already be finished and removed (by the
        // service's wait=removed or the supervisor's cleanup) before its start is on record: it did start.
        if (c.HostConfig.AutoRemove && e instanceof SkiffError && e.code === 'ENOCONTAINER') return;
        throw e;
      });
      return undefined;
    }
    let running: Promise<unknown> | undefined;
    // With --sig-proxy=false a SIGTERM ends this CLI, not the container; it must not end it before the
    // container's running state is on record, or `inspect` would say a running container is not.
    const held = opts.sigProxy === false ? holdSignals(PROXIED) : undefined;
    undo.push(async () => held?.drop());
    const result = await launch(plan, {
      stdio: 'inherit',
      relay: { signals: opts.sigProxy === false ? ['SIGWINCH'] : [...PROXIED, 'SIGWINCH'] },
      onPid,
      onExec: (pid, runtimePid) => void (running = markRunning(pid, runtimePid).catch(() => {}).finally(() => held?.release())),
    });
    await running;
    if (result.detached) {
      process.stderr.write('\r\nread escape sequence\r\n');
      return undefined;
    }
    return result.exitCode;
  } catch (e) {
    for (const u of undo.reverse()) await u().catch(() => {});
    throw e;
  }
}

async function foregroundRelay(tty: boolean, openStdin: boolean, opts: StartOptions) {
  const { isatty } = await import('node:tty');
  const streams = opts.streams ?? { stdin: true, stdout: true, stderr: true };
  const stdin = openStdin && streams.stdin;
  const { parseDetachKeys } = await import('./attach.js');
  return {
    stdin, stdout: streams.stdout, stderr: streams.stderr,
    // Docker's -it: the caller's terminal in raw mode, output post-processing off (the pty already ends lines in \r\n).
    raw: tty && stdin && isatty(0),
    detachKeys: stdin && tty ? parseDetachKeys(opts.detachKeys ?? 'ctrl-p,ctrl-q') : [],
  };
}

/** The HostConfig fields of the describing flags, only those given (older records lack them all). */
function hostExtras(x: RunExtras): Partial<ContainerConfig['HostConfig']> {
  const out: Partial<ContainerConfig['HostConfig']> = {};
  for (const k of ['Mounts', 'Tmpfs', 'ExtraHosts', 'Dns', 'DnsSearch', 'DnsOptions', 'Ulimits', 'LogConfig', 'GroupAdd', 'OomKillDisable', 'ShmSize'] as const) {
    if (x[k] !== undefined) (out as Record<string, unknown>)[k] = x[k];
  }
  return out;
}

/** Docker's merge: flags override the image's HEALTHCHECK field by field; no test at all means none. */
export function mergeHealthcheck(image: HealthConfig | undefined, flags: HealthConfig | undefined): HealthConfig | undefined {
  if (!flags) return image?.Test?.length ? image : undefined;
  if (flags.Test[0] === 'NONE') return flags;
  const test = flags.Test.length ? flags.Test : image?.Test ?? [];
  if (!test.length || test[0] === 'NONE') return undefined;
  // A field neither gives stays out, as Go's omitempty leaves it out of moby's JSON.
  const out: HealthConfig = { Test: test };
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'Retries'] as const) {
    const v = flags[k] || image?.[k];
    if (v) out[k] = v;
  }
  return out;
}

/** A named volume as this container gets it: a bind of its directory (or of its o=bind device), or a tmpfs (src/volumes/local-driver.ts). */
type VolumeUse = { bind: BindSpec; tmpfs?: undefined } | { bind?: undefined; tmpfs: TmpfsSpec };

/** Made on first use, as Docker does (with the --mount volume-opt options, which only a new volume takes). */
function namedVolume(name: string, target: string, readonly: boolean, options?: Record<string, string>, labels?: Record<string, string>): VolumeUse {
  const rec = createVolume(name, { ...(options ? { options } : {}), ...(labels ? { labels } : {}) });
  const how = localVolumeMount(rec.Options);
  if (how.kind === 'tmpfs') {
    // The local driver mounts a tmpfs with exactly the o= options (no noexec/nosuid/nodev of --tmpfs).
    const a = tmpfsMountArgs([how.options, readonly ? 'ro' : ''].filter(Boolean).join(','), []);
    return { tmpfs: { target, flags: [...a.words].reduce((f, w) => f | (TMPFS_FLAGS[w] ?? 0), 0), data: a.data } };
  }
  const source = how.kind === 'bind' ? how.device : rec.Mountpoint;
  if (!existsSync(source)) throw new SkiffError('EUSAGE', `volume ${name}: its device ${source} does not exist`, 'create the directory, or remove and re-create the volume');
  return { bind: { source, target, readonly: readonly || (how.kind === 'bind' && how.readonly), kind: statSync(source).isDirectory() ? 'dir' : 'file' } };
}

/** A --mount bind or volume as the plan binds it (a named volume is made on first use, as with -v). */
function mountBind(m: MountEntry): VolumeUse {
  if (m.Type === 'volume') return namedVolume(m.Source, m.Target, m.ReadOnly, m.VolumeOptions?.DriverConfig?.Options, m.VolumeOptions?.Labels);
  const source = m.Source;
  if (!existsSync(source)) {
    throw new SkiffError('EINVALID', `invalid mount config for type "bind": bind source path does not exist: ${source}`, 'create it, or use -v (which makes a missing directory)');
  }
  if (m.BindOptions?.NonRecursive) {
    // A container's mounts live in its own user namespace, where the kernel will not bind a directory
    // without the mounts below it (that would uncover what they hide): say so, never a raw EINVAL.
    const real = realpathSync(source);
    const below = mountsBeneath(real).filter((e) => e.mountPoint !== real);
    if (below.length) {
      throw new SkiffError('EINVALID', `bind-nonrecursive: ${source} has mounts below it (${below[0]!.mountPoint}), which a container's user namespace cannot leave out`,
        'bind it recursively (drop bind-nonrecursive), or bind a directory with no mounts below it');
    }
  }
  return { bind: {
    source, target: m.Target, readonly: m.ReadOnly, kind: statSync(source).isDirectory() ? 'dir' : 'file',
    ...(m.BindOptions?.Propagation ? { propagation: m.BindOptions.Propagation } : {}),
    ...(m.BindOptions?.NonRecursive ? { nonRecursive: true } : {}),
  } };
}

/** The named volumes (of -v and --mount) whose local driver makes them a tmpfs. */
function volumeTmpfs(h: ContainerConfig['HostConfig']): TmpfsSpec[] {
  return [...h.Binds.map(parseVolume), ...(h.Mounts ?? []).filter((m) => m.Type === 'volume').map(mountBind)].flatMap((u) => u.tmpfs ?? []);
}

/** An anonymous --mount type=volume gets its name at create (64 hex digits, as Docker's), so a restart finds it. */
function namedMount(m: MountEntry): MountEntry {
  return m.Type === 'volume' && !m.Source ? { ...m, Source: randomBytes(32).toString('hex') } : m;
}

/** --tmpfs and --mount type=tmpfs: noexec,nosuid,nodev unless asked otherwise (measured on dockerd 20.10). */
const TMPFS_FLAGS: Record<string, number> = { ro: MS.RDONLY, nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC, noatime: MS.NOATIME, strictatime: MS.STRICTATIME, relatime: MS.RELATIME };

function tmpfsMounts(h: ContainerConfig['HostConfig']): TmpfsSpec[] {
  const spec = (target: string, opts: string, defaults: string[]): TmpfsSpec => {
    const a = tmpfsMountArgs(opts, defaults);
    return { target, flags: [...a.words].reduce((f, w) => f | (TMPFS_FLAGS[w] ?? 0), 0), data: a.data };
  };
  const out = Object.entries(h.Tmpfs ?? {}).map(([t, o]) => spec(t, o, ['noexec', 'nosuid', 'nodev']));
  for (const m of h.Mounts ?? []) {
    if (m.Type !== 'tmpfs') continue;
    const o = [m.ReadOnly ? 'ro' : '', m.TmpfsOptions?.SizeBytes ? `size=${m.TmpfsOptions.SizeBytes}` : '', m.TmpfsOptions?.Mode !== undefined ? `mode=${m.TmpfsOptions.Mode.toString(8)}` : ''];
    out.push(spec(m.Target, o.filter(Boolean).join(','), ['noexec', 'nosuid', 'nodev']));
  }
  return out;
}

function parseVolume(v: string): VolumeUse {
  const spec = parseVolumeSpec(v);
  // A name is a named volume, created on first use as Docker does.
  if (spec.named) return namedVolume(spec.source, spec.target, spec.readonly);
  const source = spec.source;
  // Docker creates a missing host directory for a bind; a file stays a file.
  if (!existsSync(source)) mkdirSync(source, { recursive: true });
  return { bind: { source, target: spec.target, readonly: spec.readonly, kind: statSync(source).isDirectory() ? 'dir' : 'file' } };
}
