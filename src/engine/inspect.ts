// `skiff inspect`: Docker's ContainerJSON shape, in Docker's field order, built from the record.
import { containerDir, logPath } from '../state/containers.js';
import type { ContainerRecord } from '../state/container-record.js';
import { join } from 'node:path';

/** Docker's "Mounts" entries for -v HOST:CTR[:ro] binds. */
function mounts(binds: string[]): object[] {
  return binds.map((b) => {
    const [src = '', dst = '', mode = ''] = b.split(':');
    const bind = src.startsWith('/');
    return {
      Type: bind ? 'bind' : 'volume',
      ...(bind ? {} : { Name: src }),
      Source: src,
      Destination: dst,
      Mode: mode,
      RW: !mode.split(',').includes('ro'),
      Propagation: bind ? 'rprivate' : '',
    };
  });
}

/** Docker's "Mounts" entry for one --mount. */
function mountPoint(m: NonNullable<ContainerRecord['config']['HostConfig']['Mounts']>[number]): object {
  return {
    Type: m.Type,
    ...(m.Type === 'volume' ? { Name: m.Source, Driver: 'local' } : {}),
    Source: m.Source,
    Destination: m.Target,
    Mode: m.Type === 'volume' ? 'z' : '',
    RW: !m.ReadOnly,
    Propagation: m.Type === 'bind' ? m.BindOptions?.Propagation ?? 'rprivate' : '',
  };
}

export function inspectObject(r: ContainerRecord): Record<string, unknown> {
  const { config: c, state: s } = r;
  const ns = s.NetworkSettings;
  const networkName = c.HostConfig.NetworkMode === 'default' || !c.HostConfig.NetworkMode ? 'bridge' : c.HostConfig.NetworkMode;
  return {
    Id: c.Id,
    Created: c.Created,
    Path: c.Path,
    Args: c.Args,
    State: {
      Status: s.Status,
      Running: s.Status === 'running' || s.Status === 'paused' || s.Status === 'restarting',
      Paused: s.Status === 'paused',
      Restarting: s.Status === 'restarting',
      OOMKilled: s.OOMKilled,
      Dead: s.Status === 'dead',
      Pid: s.Pid,
      ExitCode: s.ExitCode,
      Error: s.Error,
      StartedAt: s.StartedAt,
      FinishedAt: s.FinishedAt,
      ...(s.Health ? { Health: s.Health } : {}),
    },
    Image: c.Image,
    ResolvConfPath: join(containerDir(c.Id), 'resolv.conf'),
    HostnamePath: join(containerDir(c.Id), 'hostname'),
    HostsPath: join(containerDir(c.Id), 'hosts'),
    LogPath: logPath(c.Id),
    Name: `/${c.Name}`,
    RestartCount: r.state.RestartCount ?? 0,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: {
      ...c.HostConfig, LogConfig: c.HostConfig.LogConfig ?? { Type: 'json-file', Config: {} },
      SecurityOpt: c.HostConfig.SecurityOpt ?? null, CapAdd: c.HostConfig.CapAdd ?? null, CapDrop: c.HostConfig.CapDrop ?? null,
      Privileged: c.HostConfig.Privileged ?? false, ReadonlyRootfs: c.HostConfig.ReadonlyRootfs ?? false, Devices: c.HostConfig.Devices ?? [],
      PidsLimit: c.HostConfig.PidsLimit || null,
    },
    GraphDriver: {
      Data: {
        LowerDir: c.Rootfs.lowerDirs.join(':'),
        MergedDir: join(containerDir(c.Id), 'merged'),
        UpperDir: c.Rootfs.upperDir,
        WorkDir: c.Rootfs.workDir,
      },
      Name: 'overlay2',
    },
    Mounts: [...mounts(c.HostConfig.Binds ?? []), ...(c.HostConfig.Mounts ?? []).map(mountPoint), ...Object.keys(c.HostConfig.Tmpfs ?? {}).map((t) => ({ Type: 'tmpfs', Source: '', Destination: t, Mode: '', RW: true, Propagation: '' }))],
    Config: c.Config,
    NetworkSettings: {
      Ports: ns.Ports,
      Gateway: ns.Gateway,
      IPAddress: ns.IPAddress,
      IPPrefixLen: ns.IPPrefixLen,
      MacAddress: ns.MacAddress,
      Networks: {
        [networkName]: { Gateway: ns.Gateway, IPAddress: ns.IPAddress, IPPrefixLen: ns.IPPrefixLen, MacAddress: ns.MacAddress },
      },
    },
  };
}

/** Go's json.MarshalIndent: four spaces, and <, >, & escaped as it does. */
export function dockerJson(value: unknown): string {
  return JSON.stringify(value, null, 4).replace(/[<>&]/g, (ch) => `\\u00${ch.charCodeAt(0).toString(16)}`);
}
