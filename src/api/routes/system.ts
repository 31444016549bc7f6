// /_ping, /version, /info, /system/df: what every client asks first. The docker CLI starts each
// command with HEAD /_ping and speaks min(its version, our Api-Version) from then on.
import { cpus, hostname, release, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import type { Router } from '../router.js';
import { API_VERSION, MIN_API_VERSION } from '../router.js';
import { sendJson } from '../http-util.js';
import { VERSION } from '../server-version.js';

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

export function pingHeaders(): Record<string, string> {
  return {
    'Api-Version': API_VERSION, 'Docker-Experimental': 'false', Ostype: 'linux', Server: `skiff/${VERSION} (linux)`,
    'Builder-Version': '1', 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache',
  };
}

export function systemRoutes(r: Router): void {
  const ping = async (ctx: Parameters<Parameters<Router['on']>[2]>[0]) => {
    const res = ctx.response();
    res.writeHead(200, { ...pingHeaders(), 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '2' });
    res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
  };
  r.on('GET', '/_ping', ping).on('HEAD', '/_ping', ping);

  r.on('GET', '/version', async (ctx) => {
    const details = { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: 'amd64', KernelVersion: release(), GitCommit: 'skiff', GoVersion: `node${process.versions.node}`, BuildTime: '' };
    sendJson(ctx.response(), 200, {
      Platform: { Name: 'skiff' },
      Components: [{ Name: 'Engine', Version: VERSION, Details: details }],
      Version: VERSION, ...details,
    });
  });

  r.on('GET', '/info', async (ctx) => {
    const { listContainers } = await import('../../state/liveness.js');
    const { listImages } = await import('../../image/store.js');
    const { storePaths, engineMode } = await import('../../state/paths.js');
    const all = await listContainers();
    const running = all.filter((c) => c.state.Status === 'running').length;
    const paused = all.filter((c) => c.state.Status === 'paused').length;
    sendJson(ctx.response(), 200, {
      ID: 'skiff', Containers: all.length, ContainersRunning: running, ContainersPaused: paused, ContainersStopped: all.length - running - paused,
      Images: listImages().length, Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'extfs']],
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
      MemoryLimit: true, SwapLimit: true, CpuCfsPeriod: true, CpuCfsQuota: true, CPUShares: true, CPUSet: true, PidsLimit: true,
      IPv4Forwarding: true, Debug: false, NFd: 0, OomKillDisable: false, NGoroutines: 0, SystemTime: new Date().toISOString(),
      LoggingDriver: 'json-file', CgroupDriver: 'cgroupfs', CgroupVersion: '2', NEventsListener: 0, KernelVersion: release(),
      OperatingSystem: osName(), OSVersion: '', OSType: 'linux', Architecture: 'x86_64', IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'], Mirrors: [] },
      NCPU: cpus().length, MemTotal: totalmem(), DockerRootDir: storePaths().data, HttpProxy: '', HttpsProxy: '', NoProxy: '',
      Name: hostname(), Labels: [], ExperimentalBuild: false, ServerVersion: VERSION,
      Runtimes: { runc: { path: 'skiff-runtime' } }, DefaultRuntime: 'runc',
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: false, Isolation: '', InitBinary: 'skiff-init',
      SecurityOptions: ['name=seccomp,profile=builtin', ...(engineMode() === 'rootless' ? ['name=rootless'] : []), 'name=cgroupns'],
      Warnings: [],
    });
  });

  r.on('GET', '/system/df', async (ctx) => {
    const { listContainers } = await import('../../state/liveness.js');
    const { listImages, containersUsing } = await import('../../image/store.js');
    const { listVolumes } = await import('../../volumes/store.js');
    const { diskUsage } = await import('../../engine/remove.js');
    const images = listImages().map((i) => ({
      Id: i.id, ParentId: '', RepoTags: i.repoTags, RepoDigests: i.repoDigests, Created: Math.floor(Date.parse(i.created ?? i.addedAt) / 1000),
      Size: i.size, SharedSize: -1, VirtualSize: i.size, Labels: {}, Containers: containersUsing(i.id).length,
    }));
    const containers = (await listContainers()).map((c) => ({ Id: c.config.Id, Names: [`/${c.config.Name}`], Image: c.config.ImageRef, ImageID: c.config.Image, SizeRw: diskUsage(c.config.Rootfs.upperDir), SizeRootFs: 0, State: c.state.Status }));
    const volumes = listVolumes().map((v) => ({ ...v, UsageData: { Size: diskUsage(v.Mountpoint), RefCount: -1 } }));
    sendJson(ctx.response(), 200, { LayersSize: images.reduce((n, i) => n + i.Size, 0), Images: images, Containers: containers, Volumes: volumes, BuildCache: [] });
  });
}
