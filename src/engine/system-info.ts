// What `docker version`, `docker info` and `docker system df` show, computed once for both front doors:
// the API's /version, /info and /system/df send these documents as moby 20.10 shapes them, and the CLI
// renders them with the docker CLI's own layouts (or a --format template over the same fields).
import { cpus, hostname, release, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

declare const __SKIFF_VERSION__: string | undefined;
declare const __SKIFF_COMMIT__: string | undefined;

export const ENGINE_VERSION = typeof __SKIFF_VERSION__ === 'string' ? __SKIFF_VERSION__ : '0.0.0-dev';
const COMMIT = typeof __SKIFF_COMMIT__ === 'string' ? __SKIFF_COMMIT__ : 'unknown';
/** The Engine API versions skiff's service answers (src/api/router.ts checks requests against them). */
export const API_VERSION = '1.50';
export const MIN_API_VERSION = '1.24';

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
const goArch = (): string => ARCH[process.arch] ?? process.arch;

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

/** GET /version as moby sends it (Components first, then the Engine's fields at the top level). */
export function serverVersion(): Record<string, unknown> {
  const details = {
    ApiVersion: API_VERSION, Arch: goArch(), BuildTime: '', Experimental: 'false', GitCommit: COMMIT,
    GoVersion: `node${process.versions.node}`, KernelVersion: release(), MinAPIVersion: MIN_API_VERSION, Os: 'linux',
  };
  return {
    Platform: { Name: 'skiff Engine' },
    Components: [
      { Name: 'Engine', Version: ENGINE_VERSION, Details: details },
      { Name: 'skiff-runtime', Version: ENGINE_VERSION, Details: { GitCommit: COMMIT } },
    ],
    Version: ENGINE_VERSION, ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, GitCommit: COMMIT,
    GoVersion: details.GoVersion, Os: 'linux', Arch: goArch(), KernelVersion: release(), BuildTime: '',
  };
}

/** The client half of `skiff version` (the CLI is its own client). */
export function clientVersion(): Record<string, unknown> {
  return {
    Platform: { Name: 'skiff' }, Version: ENGINE_VERSION, ApiVersion: API_VERSION, DefaultAPIVersion: API_VERSION,
    GitCommit: COMMIT, GoVersion: `node${process.versions.node}`, Os: 'linux', Arch: goArch(), BuildTime: '', Context: 'default',
  };
}

/** A stable id for this store, in the shape of moby's engine ID (12 groups of 4 base32 characters). */
function engineId(dataDir: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = createHash('sha256').update(dataDir).digest();
  const chars = Array.from({ length: 48 }, (_, i) => alphabet[(bytes[Math.floor((i * 5) / 8) % bytes.length]! >> (i % 3)) & 31]);
  return Array.from({ length: 12 }, (_, i) => chars.slice(i * 4, i * 4 + 4).join('')).join(':');
}

/** GET /info with moby 20.10's fields. */
export async function engineInfo(eventListeners = 0): Promise<Record<string, unknown>> {
  const { listContainers } = await import('../state/liveness.js');
  const { listImages } = await import('../image/store.js');
  const { storePaths, engineMode } = await import('../state/paths.js');
  const { detectCgroups } = await import('../cgroups/index.js');
  const cg = detectCgroups();
  const has = (c: string) => cg.available.includes(c);
  const all = await listContainers();
  const running = all.filter((c) => c.state.Status === 'running').length;
  const paused = all.filter((c) => c.state.Status === 'paused').length;
  const warnings: string[] = [];
  if (!cg.base) warnings.push(`WARNING: no usable cgroup v2 here (${cg.unusable ?? 'unknown'}): no resource limits, no pause`);
  return {
    ID: engineId(storePaths().data), Containers: all.length, ContainersRunning: running, ContainersPaused: paused, ContainersStopped: all.length - running - paused,
    Images: listImages().length, Driver: 'overlay2',
    DriverStatus: [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true'], ['Native Overlay Diff', 'true'], ['userxattr', 'true']],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file', 'none'] },
    MemoryLimit: has('memory'), SwapLimit: has('memory'), KernelMemory: false, KernelMemoryTCP: false,
    CpuCfsPeriod: has('cpu'), CpuCfsQuota: has('cpu'), CPUShares: has('cpu'), CPUSet: has('cpuset'), PidsLimit: has('pids'),
    IPv4Forwarding: true, BridgeNfIptables: false, BridgeNfIp6tables: false, Debug: false, NFd: 0, OomKillDisable: false, NGoroutines: 0,
    SystemTime: new Date().toISOString(), LoggingDriver: 'json-file', CgroupDriver: 'cgroupfs', CgroupVersion: cg.mount && cg.base ? '2' : '1',
    NEventsListener: eventListeners, KernelVersion: release(), OperatingSystem: osName(), OSVersion: '', OSType: 'linux', Architecture: process.arch === 'x64' ? 'x86_64' : process.arch,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { AllowNondistributableArtifactsCIDRs: [], AllowNondistributableArtifactsHostnames: [], InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: { 'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true } }, Mirrors: [] },
    NCPU: cpus().length, MemTotal: totalmem(), GenericResources: null, DockerRootDir: storePaths().data, HttpProxy: '', HttpsProxy: '', NoProxy: '',
    Name: hostname(), Labels: [], ExperimentalBuild: false, ServerVersion: ENGINE_VERSION,
    Runtimes: { runc: { path: 'skiff-runtime' } }, DefaultRuntime: 'runc',
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: false, Isolation: '', InitBinary: 'skiff-init',
    ContainerdCommit: { ID: '', Expected: '' }, RuncCommit: { ID: COMMIT, Expected: COMMIT }, InitCommit: { ID: COMMIT, Expected: COMMIT },
    SecurityOptions: ['name=seccomp,profile=default', ...(engineMode() === 'rootless' ? ['name=rootless'] : []), 'name=cgroupns'],
    Warnings: warnings.length ? warnings : null,
  };
}

export interface DiskUsage {
  LayersSize: number;
  Images: Array<{ Id: string; ParentId: string; RepoTags: string[]; RepoDigests: string[]; Created: number; Size: number; SharedSize: number; VirtualSize: number; Labels: Record<string, string>; Containers: number }>;
  Containers: Array<{ Id: string; Names: string[]; Image: string; ImageID: string; Command: string; Created: number; SizeRw: number; SizeRootFs: number; State: string; Status: string; Mounts: unknown[] }>;
  Volumes: Array<{ Name: string; Driver: string; Mountpoint: string; CreatedAt: string; Labels: Record<string, string>; Scope: string; UsageData: { Size: number; RefCount: number } }>;
  BuildCache: unknown[];
  BuilderSize: number;
}

/** GET /system/df: images (shared size = layers another image also has), containers' writable layers, volumes. */
export async function diskUsage(): Promise<DiskUsage> {
  const { listContainers } = await import('../state/liveness.js');
  const { listImages, containersUsing, displayTag } = await import('../image/store.js');
  const { listVolumes } = await import('../volumes/store.js');
  const { diskUsage: bytesUnder } = await import('./remove.js');
  const { statusText } = await import('../state/status-text.js');
  const { volumeUsers } = await import('./volume-users.js');
  const images = listImages();
  // A layer's bytes count once in LayersSize; an image's SharedSize is what it has in common with others.
  const layerOwners = new Map<string, number>();
  const layerSize = new Map<string, number>();
  for (const i of images) {
    for (const l of i.layers) {
      layerOwners.set(l.digest, (layerOwners.get(l.digest) ?? 0) + 1);
      layerSize.set(l.digest, l.size);
    }
  }
  const now = Date.now();
  const containers = await listContainers();
  const volumes = listVolumes();
  const volumeRefs = await Promise.all(volumes.map(async (v) => (await volumeUsers(v.Name)).length));
  return {
    // Every image's size once, less the layers counted more than once (what they share is on disk once).
    LayersSize: images.reduce((n, i) => n + i.size, 0) - [...layerOwners].reduce((n, [d, owners]) => n + (owners - 1) * (layerSize.get(d) ?? 0), 0),
    Images: images.map((i) => ({
      Id: i.id, ParentId: '', RepoTags: i.repoTags.length ? i.repoTags.map(displayTag) : ['<none>:<none>'], RepoDigests: i.repoDigests.map(displayTag),
      Created: Math.floor(Date.parse(i.created ?? i.addedAt) / 1000), Size: i.size,
      SharedSize: i.layers.filter((l) => (layerOwners.get(l.digest) ?? 0) > 1).reduce((n, l) => n + l.size, 0),
      VirtualSize: i.size, Labels: {}, Containers: containersUsing(i.id).length,
    })),
    Containers: containers.map((c) => ({
      Id: c.config.Id, Names: [`/${c.config.Name}`], Image: c.config.ImageRef, ImageID: c.config.Image,
      Command: [c.config.Path, ...c.config.Args].join(' '), Created: Math.floor(Date.parse(c.config.Created) / 1000),
      SizeRw: bytesUnder(c.config.Rootfs.upperDir), SizeRootFs: 0, State: c.state.Status, Status: statusText(c.state, now), Mounts: [],
    })),
    Volumes: volumes.map((v, i) => ({ ...v, UsageData: { Size: bytesUnder(v.Mountpoint), RefCount: volumeRefs[i]! } })),
    BuildCache: [],
    BuilderSize: 0,
  };
}
