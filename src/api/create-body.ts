// POST /containers/create: moby's ContainerCreateConfig → skiff's RunRequest. Clients send every field,
// mostly at its zero value; a field skiff does not implement is refused with a 400 that names it when
// it carries a real value — never silently dropped.
import type { RunRequest } from '../engine/run.js';
import { signalNumber } from '../engine/stop.js';
import type { HealthConfig, RunExtras } from '../state/container-record.js';
import { mountsFromBody } from './create-mounts.js';
import { parseTmpfsSpec } from '../volumes/mount-spec.js';
import { ApiError } from './errors.js';
import { discardOomKillDisable, parseRunExtras } from '../engine/run-extras.js';
import { securityFromFlags } from '../engine/run-security.js';
import type { RunSecurity } from '../engine/run.js';
import { SkiffError } from '../errors.js';

type Json = Record<string, unknown>;

/** Fields of Config that skiff applies (the rest must be zero). */
const CONFIG_OK = new Set(['Hostname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'OpenStdin', 'StdinOnce', 'Env', 'Cmd',
  'Image', 'WorkingDir', 'Entrypoint', 'Labels', 'ExposedPorts', 'Volumes', 'HostConfig', 'NetworkingConfig', 'Domainname', 'ArgsEscaped',
  'StopSignal', 'StopTimeout', 'Healthcheck', 'OnBuild', 'MacAddress', 'NetworkDisabled', 'Shell']);
/** Fields of Config accepted but without effect, where their zero/default is what skiff does anyway. */
const CONFIG_IGNORED = new Set(['ArgsEscaped', 'StdinOnce', 'Volumes', 'OnBuild', 'Shell', 'MacAddress']);
const HOST_OK = new Set(['Binds', 'PortBindings', 'NetworkMode', 'AutoRemove', 'RestartPolicy', 'Memory', 'MemorySwap', 'NanoCpus', 'CpuShares',
  'PidsLimit', 'CpusetCpus', 'Init', 'PublishAllPorts', 'LogConfig', 'ConsoleSize', 'ContainerIDFile', 'VolumeDriver', 'Isolation', 'CgroupnsMode',
  'Cgroup', 'IpcMode', 'PidMode', 'UTSMode', 'UsernsMode', 'Links', 'Mounts', 'MaskedPaths', 'ReadonlyPaths', 'ShmSize', 'OomScoreAdj', 'Tmpfs',
  'ReadonlyRootfs', 'ExtraHosts', 'Dns', 'DnsSearch', 'DnsOptions', 'Ulimits', 'GroupAdd', 'Privileged', 'CapAdd', 'CapDrop', 'Devices', 'SecurityOpt',
  'OomKillDisable']);

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as Json).every(isZero);
  return false;
}

function refuse(field: string): never {
  throw new ApiError(400, `skiff does not support ${field} yet`);
}

function checkKnown(obj: Json, ok: Set<string>, prefix: string): void {
  for (const [k, v] of Object.entries(obj)) if (!ok.has(k) && !isZero(v)) refuse(`${prefix}${k}`);
}

function hostConfigChecks(h: Json): void {
  // -1 is "the kernel's default", what clients send when the user said nothing.
  if (h.MemorySwappiness === -1) delete h.MemorySwappiness;
  checkKnown(h, HOST_OK, 'HostConfig.');
  const log = h.LogConfig as { Type?: string } | undefined;
  if (log?.Type && log.Type !== 'json-file') refuse(`HostConfig.LogConfig.Type=${log.Type} (only json-file: through the API a foreground run's output is read from the log)`);
  if (h.CgroupnsMode && h.CgroupnsMode !== 'private') refuse(`HostConfig.CgroupnsMode=${String(h.CgroupnsMode)}`);
  for (const k of ['IpcMode', 'PidMode', 'UTSMode', 'UsernsMode', 'Cgroup'] as const) {
    const v = h[k];
    if (v && v !== 'private' && !(k === 'IpcMode' && v === 'shareable')) refuse(`HostConfig.${k}=${String(v)}`);
  }
  if (h.Isolation && h.Isolation !== 'default') refuse(`HostConfig.Isolation=${String(h.Isolation)}`);
  if (!isZero(h.Links)) refuse('HostConfig.Links (use a user network: containers find each other by name)');
  if (h.VolumeDriver && h.VolumeDriver !== 'local') refuse(`HostConfig.VolumeDriver=${String(h.VolumeDriver)}`);
}

function portSpecs(bindings: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | undefined): string[] {
  const out: string[] = [];
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const [port, proto = 'tcp'] = key.split('/');
    for (const b of list ?? [{}]) {
      const ip = b.HostIp ?? '';
      const hp = b.HostPort ?? '';
      // 127.0.0.1:8080:80, 8080:80, 127.0.0.1::80, or 80 (a random host port).
      out.push(ip ? `${ip}:${hp}:${port}/${proto}` : hp ? `${hp}:${port}/${proto}` : `${port}/${proto}`);
    }
  }
  return out;
}

export interface CreateExtras {
  aliases: string[];
  /** The create answer's `Warnings` (what skiff's CLI prints as `WARNING: …` for the same flags). */
  warnings: string[];
}

/**
 * Healthcheck, StopSignal, StopTimeout and HostConfig.Mounts as `run --health-* / --no-healthcheck /
 * --stop-* / --mount` keep them: the engine merges them over the image's HEALTHCHECK and STOPSIGNAL (so
 * Test ["NONE"] turns the image's off). Checked as dockerd checks them at create (durations ≥ 1 ms when
 * given, retries ≥ 0; mounts in src/api/create-mounts.ts).
 */
function describingExtras(body: Json): RunExtras {
  const x: RunExtras = {};
  const h = body.Healthcheck as (Partial<Omit<HealthConfig, 'Test'>> & { Test?: string[] | null }) | null | undefined;
  if (h && !isZero(h)) {
    const test = h.Test ?? [];
    if (test.length && !['NONE', 'CMD', 'CMD-SHELL'].includes(test[0]!)) throw new ApiError(400, `unknown healthcheck type '${test[0]}' (use CMD, CMD-SHELL or NONE)`);
    for (const k of ['Interval', 'Timeout', 'StartPeriod'] as const) {
      const v = h[k];
      if (v !== undefined && v !== 0 && !(typeof v === 'number' && v >= 1e6)) throw new ApiError(400, `${k} in Healthcheck cannot be less than 1ms`);
    }
    if (h.Retries !== undefined && !(typeof h.Retries === 'number' && h.Retries >= 0)) throw new ApiError(400, 'Retries in Healthcheck cannot be negative');
    const hc: HealthConfig = { Test: test };
    for (const k of ['Interval', 'Timeout', 'StartPeriod', 'Retries'] as const) if (h[k] !== undefined) hc[k] = h[k];
    x.Healthcheck = hc;
  }
  if (typeof body.StopSignal === 'string' && body.StopSignal) {
    try { signalNumber(body.StopSignal); } catch { throw new ApiError(400, `Invalid signal: ${body.StopSignal}`); }
    x.StopSignal = body.StopSignal;
  }
  if (typeof body.StopTimeout === 'number') x.StopTimeout = body.StopTimeout;
  const host = (body.HostConfig ?? {}) as Json;
  const mounts = mountsFromBody(host.Mounts);
  if (mounts.length) x.Mounts = mounts;
  // --tmpfs, --shm-size, --expose: the same fields `run`'s flags fill. (Tmpfs maps paths to option
  // strings that are usually empty: isZero would call it unset, so it is read here, not checked there.)
  const tmpfs = host.Tmpfs as Record<string, string> | null | undefined;
  if (tmpfs && Object.keys(tmpfs).length) {
    for (const [target, opts] of Object.entries(tmpfs)) {
      try {
        parseTmpfsSpec(opts ? `${target}:${opts}` : target);
      } catch (e) {
        throw new ApiError(400, (e as Error).message);
      }
    }
    x.Tmpfs = { ...tmpfs };
  }
  if (typeof host.ShmSize === 'number' && host.ShmSize > 0) x.ShmSize = host.ShmSize;
  const exposed = body.ExposedPorts as Record<string, object> | null | undefined;
  if (exposed && Object.keys(exposed).length) x.ExposedPorts = { ...exposed };
  return { ...x, ...flagExtras(body, host) };
}

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.length ? v.map(String) : undefined);

/**
 * The fields `run`'s own flags fill (--add-host, --dns*, --ulimit, --log-driver/--log-opt, --group-add,
 * --domainname): given to the same parser as the flags' words, so the API checks and
 * stores them exactly as the CLI does; what it refuses is a 400 with the same sentence.
 */
function flagExtras(body: Json, h: Json): RunExtras {
  const log = h.LogConfig as { Type?: string; Config?: Record<string, string> | null } | null | undefined;
  const ulimits = h.Ulimits as Array<{ Name?: string; Soft?: number; Hard?: number }> | null | undefined;
  try {
    return parseRunExtras({
      ...(body.Domainname ? { domainname: String(body.Domainname) } : {}),
      ...(strings(h.ExtraHosts) ? { addHost: strings(h.ExtraHosts) } : {}),
      ...(strings(h.Dns) ? { dns: strings(h.Dns) } : {}),
      ...(strings(h.DnsSearch) ? { dnsSearch: strings(h.DnsSearch) } : {}),
      ...(strings(h.DnsOptions) ? { dnsOption: strings(h.DnsOptions) } : {}),
      ...(ulimits?.length ? { ulimit: ulimits.map((u) => `${u.Name}=${u.Soft ?? 0}:${u.Hard ?? u.Soft ?? 0}`) } : {}),
      ...(log?.Type ? { logDriver: log.Type } : {}),
      ...(log?.Config && Object.keys(log.Config).length ? { logOpt: Object.entries(log.Config).map(([k, v]) => `${k}=${v}`) } : {}),
      ...(strings(h.GroupAdd) ? { groupAdd: strings(h.GroupAdd) } : {}),
      ...(h.OomKillDisable === true ? { oomKillDisable: true } : {}),
    });
  } catch (e) {
    if (e instanceof SkiffError) throw new ApiError(400, e.message);
    throw e;
  }
}

type DeviceBody = { PathOnHost?: string; PathInContainer?: string; CgroupPermissions?: string };

/** A Devices entry as the `--device` words that make it, shortest form first (so errors quote what was typed). */
function deviceSpec(d: DeviceBody): string {
  const host = d.PathOnHost ?? '';
  const target = d.PathInContainer || host;
  const perms = d.CgroupPermissions || 'rwm';
  if (perms !== 'rwm') return `${host}:${target}:${perms}`;
  return target === host ? host : `${host}:${target}`;
}

/**
 * Privileged, CapAdd/CapDrop, Devices, SecurityOpt, ReadonlyRootfs as `--privileged`, `--cap-add/--cap-drop`,
 * `--device`, `--security-opt`, `--read-only` keep them: the same parser, given the flags' words (a device
 * entry as `HOST:CONTAINER:PERMS`; a seccomp profile inline, as the docker CLI sends it), so a value the
 * CLI refuses is a 400 with its sentence.
 */
function securityFromBody(h: Json): RunSecurity {
  const devices = (Array.isArray(h.Devices) ? h.Devices : []) as DeviceBody[];
  try {
    return securityFromFlags({
      securityOpt: strings(h.SecurityOpt) ?? [], capAdd: strings(h.CapAdd) ?? [], capDrop: strings(h.CapDrop) ?? [],
      privileged: h.Privileged === true, readOnly: h.ReadonlyRootfs === true,
      device: devices.map(deviceSpec),
    }, { inlineProfiles: true });
  } catch (e) {
    if (e instanceof SkiffError) throw new ApiError(400, e.message);
    throw e;
  }
}

/** The request skiff's engine runs, from the body of POST /containers/create and its `name`. */
export function runRequestFromBody(body: Json, name: string | undefined): { req: RunRequest; extras: CreateExtras } {
  checkKnown(body, CONFIG_OK, '');
  const extras = describingExtras(body);
  const oomWarning = discardOomKillDisable(extras);
  if (body.NetworkDisabled) refuse('NetworkDisabled (use NetworkMode "none")');
  void CONFIG_IGNORED;
  const image = body.Image;
  if (typeof image !== 'string' || !image) throw new ApiError(400, 'config cannot be empty in order to create a container');
  const h = (body.HostConfig ?? {}) as Json;
  hostConfigChecks(h);
  const endpoints = ((body.NetworkingConfig as Json | undefined)?.EndpointsConfig ?? {}) as Record<string, { Aliases?: string[] | null; IPAMConfig?: unknown } | null>;
  let network = (h.NetworkMode as string | undefined) || 'bridge';
  if (network === 'default') network = 'bridge';
  const netNames = Object.keys(endpoints).map((n) => (n === 'default' ? 'bridge' : n));
  if (netNames.length > 1) refuse('NetworkingConfig with more than one network (connect the others after create)');
  if (netNames.length === 1 && (network === 'bridge' && netNames[0] !== 'bridge')) network = netNames[0]!;
  const ep = Object.values(endpoints)[0] ?? undefined;
  if (ep && !isZero(ep.IPAMConfig)) refuse('NetworkingConfig.EndpointsConfig.IPAMConfig');
  const restart = (h.RestartPolicy ?? {}) as { Name?: string; MaximumRetryCount?: number };
  const restartName = restart.Name || 'no';
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(restartName)) throw new ApiError(400, `invalid restart policy '${restartName}'`);
  const entry = body.Entrypoint as string[] | string | null | undefined;
  const entryList = typeof entry === 'string' ? [entry] : entry ?? undefined;
  if (entryList && entryList.length > 1) refuse('Entrypoint with more than one element (put the rest in Cmd)');
  const cmd = body.Cmd as string[] | string | null | undefined;
  const req: RunRequest = {
    image, command: typeof cmd === 'string' ? [cmd] : cmd ?? [], ...(name ? { name } : {}),
    rm: !!h.AutoRemove, detach: true, tty: !!body.Tty, interactive: !!body.OpenStdin,
    env: (body.Env as string[] | null) ?? [],
    ...(body.WorkingDir ? { workdir: String(body.WorkingDir) } : {}),
    ...(body.User ? { user: String(body.User) } : {}),
    ...(entryList !== undefined ? { entrypoint: entryList[0] ?? '' } : {}),
    ...(body.Hostname ? { hostname: String(body.Hostname) } : {}),
    volumes: (h.Binds as string[] | null) ?? [],
    publish: portSpecs(h.PortBindings as never),
    publishAll: !!h.PublishAllPorts,
    network,
    limits: {
      memory: (h.Memory as number) || undefined, memorySwap: (h.MemorySwap as number) || undefined, nanoCpus: (h.NanoCpus as number) || undefined,
      cpuShares: (h.CpuShares as number) || undefined, pidsLimit: (h.PidsLimit as number) > 0 ? (h.PidsLimit as number) : undefined, cpusetCpus: (h.CpusetCpus as string) || undefined,
    },
    pull: 'never', init: !!h.Init, restart: { Name: restartName, MaximumRetryCount: restart.MaximumRetryCount ?? 0 },
    labels: (body.Labels as Record<string, string> | null) ?? {},
    extras,
    security: securityFromBody(h),
  };
  return { req, extras: { aliases: ep?.Aliases ?? [], warnings: oomWarning ? [oomWarning] : [] } };
}
