// POST /containers/create's body → skiff's run request: what docker 28 sends for the chapter's
// commands is accepted as it is; a field skiff does not implement is refused by name, never dropped.
import { describe, expect, it } from 'vitest';
import { runRequestFromBody } from '../../src/api/create-body.js';
import { ApiError } from '../../src/api/errors.js';
import { securityFromFlags } from '../../src/engine/run-security.js';
import { compareVersion } from '../../src/api/router.js';
import { frame } from '../../src/api/stdcopy.js';

/** docker 28's body for `docker run --rm -p 8080:80 diamol/base true`, zero values and all. */
const DOCKER28 = {
  Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, ExposedPorts: { '80/tcp': {} },
  Tty: false, OpenStdin: false, StdinOnce: false, Env: [], Cmd: ['true'], Image: 'diamol/base', Volumes: {}, WorkingDir: '', Entrypoint: null,
  OnBuild: null, Labels: {},
  HostConfig: {
    Binds: null, ContainerIDFile: '', LogConfig: { Type: '', Config: {} }, NetworkMode: 'default', PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] },
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: true, VolumeDriver: '', VolumesFrom: null, ConsoleSize: [0, 0], CapAdd: null, CapDrop: null,
    CgroupnsMode: '', Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null, GroupAdd: null, IpcMode: '', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '',
    Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 0, Isolation: '', CpuShares: 0,
    Memory: 0, NanoCpus: 0, CgroupParent: '', BlkioWeight: 0, MemorySwappiness: -1, OomKillDisable: false, PidsLimit: null, Ulimits: null, MaskedPaths: null, ReadonlyPaths: null,
  },
  NetworkingConfig: { EndpointsConfig: { default: { IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, NetworkID: '', IPAddress: '' } } },
};

/** DOCKER28 without its ExposedPorts (which reach the extras as --expose does). */
const noExpose = () => ({ ...structuredClone(DOCKER28), ExposedPorts: {} });

describe('create body', () => {
  it('takes docker 28\'s body for run --rm -p as it is', () => {
    const { req, extras } = runRequestFromBody(structuredClone(DOCKER28), 'web');
    expect(req).toMatchObject({ image: 'diamol/base', command: ['true'], name: 'web', rm: true, tty: false, network: 'bridge', publish: ['8080:80/tcp'], pull: 'never' });
    expect(extras.aliases).toEqual([]);
  });

  it('names the field it does not support', () => {
    const body = structuredClone(DOCKER28) as Record<string, unknown> & { HostConfig: Record<string, unknown> };
    body.HostConfig.PidMode = 'host';
    expect(() => runRequestFromBody(body, undefined)).toThrow(/HostConfig\.PidMode=host/);
    const links = structuredClone(DOCKER28) as typeof body;
    links.HostConfig.Links = ['db:db'];
    expect(() => runRequestFromBody(links, undefined)).toThrow(ApiError);
  });

  it('Privileged, CapAdd/CapDrop, Devices, SecurityOpt: stored as --privileged, --cap-*, --device, --security-opt store them; a value the CLI refuses is its 400', () => {
    const body = structuredClone(DOCKER28) as Record<string, unknown> & { HostConfig: Record<string, unknown> };
    Object.assign(body.HostConfig, {
      Privileged: true, CapAdd: ['NET_ADMIN'], CapDrop: ['chown'], SecurityOpt: ['no-new-privileges'],
      Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/xnull', CgroupPermissions: 'rw' }, { PathOnHost: '/dev/zero', PathInContainer: '/dev/zero', CgroupPermissions: 'rwm' }],
    });
    const { req } = runRequestFromBody(body, undefined);
    const cli = securityFromFlags({ privileged: true, capAdd: ['NET_ADMIN'], capDrop: ['chown'], securityOpt: ['no-new-privileges'], device: ['/dev/null:/dev/xnull:rw', '/dev/zero'] });
    expect(req.security).toEqual(cli);
    expect(req.security).toEqual({
      Privileged: true, ReadonlyRootfs: false, CapAdd: ['CAP_NET_ADMIN'], CapDrop: ['CAP_CHOWN'], SecurityOpt: ['no-new-privileges=true'],
      Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/xnull', CgroupPermissions: 'rw' }, { PathOnHost: '/dev/zero', PathInContainer: '/dev/zero', CgroupPermissions: 'rwm' }],
    });
    // The docker CLI reads a seccomp=FILE itself and sends the profile inline.
    const profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    const inline = structuredClone(DOCKER28) as typeof body;
    inline.HostConfig.SecurityOpt = [`seccomp=${JSON.stringify(profile)}`];
    expect(runRequestFromBody(inline, undefined).req.security?.SecurityOpt).toEqual([`seccomp=${JSON.stringify(profile)}`]);
    const refused = (h: Record<string, unknown>) => () => runRequestFromBody({ ...structuredClone(DOCKER28), HostConfig: { ...structuredClone(DOCKER28.HostConfig), ...h } }, undefined);
    const words = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(refused({ CapAdd: ['BOGUS'] })).toThrow(ApiError);
    expect(words(refused({ CapAdd: ['BOGUS'] }))).toBe(words(() => securityFromFlags({ capAdd: ['BOGUS'] })));
    expect(words(refused({ CapAdd: ['BOGUS'] }))).toBe('invalid CapAdd: unknown capability: "CAP_BOGUS"');
    expect(words(refused({ Devices: [{ PathOnHost: '/dev/nope', PathInContainer: '/dev/nope', CgroupPermissions: 'rwm' }] }))).toBe(words(() => securityFromFlags({ device: ['/dev/nope'] })));
    expect(words(refused({ SecurityOpt: ['bogus=1'] }))).toBe(words(() => securityFromFlags({ securityOpt: ['bogus=1'] })));
    expect(words(refused({ SecurityOpt: ['seccomp={not json'] }))).toMatch(/^decoding seccomp profile failed: /);
  });

  it('Healthcheck, StopSignal, StopTimeout reach the container as the CLI flags do (--no-healthcheck turns the image\'s off)', () => {
    const hc = { Test: ['CMD-SHELL', 'true'], Interval: 2e9, Timeout: 0, StartPeriod: 0, Retries: 2 };
    const { req } = runRequestFromBody({ ...noExpose(), Healthcheck: hc, StopSignal: 'SIGUSR1', StopTimeout: 3 }, undefined);
    expect(req.extras).toEqual({ Healthcheck: hc, StopSignal: 'SIGUSR1', StopTimeout: 3 });
    // docker run --no-healthcheck sends Test ["NONE"]: kept, so the image's HEALTHCHECK does not run.
    expect(runRequestFromBody({ ...noExpose(), Healthcheck: { Test: ['NONE'] } }, undefined).req.extras).toEqual({ Healthcheck: { Test: ['NONE'] } });
    // --health-interval alone: the image's test with this interval (the merge is the engine's).
    expect(runRequestFromBody({ ...noExpose(), Healthcheck: { Test: null, Interval: 1e9 } }, undefined).req.extras).toEqual({ Healthcheck: { Test: [], Interval: 1e9 } });
    expect(runRequestFromBody(noExpose(), undefined).req.extras).toEqual({});
    expect(() => runRequestFromBody({ ...noExpose(), StopSignal: 'SIGBOGUS' }, undefined)).toThrow('Invalid signal: SIGBOGUS');
    expect(() => runRequestFromBody({ ...noExpose(), Healthcheck: { Test: ['CMD', 'true'], Interval: -1 } }, undefined)).toThrow(/Interval/);
    expect(() => runRequestFromBody({ ...noExpose(), Healthcheck: { Test: ['BOGUS', 'true'] } }, undefined)).toThrow(/BOGUS/);
  });

  it('Tmpfs, ShmSize and ExposedPorts reach the engine as --tmpfs, --shm-size and --expose do; a bad tmpfs option is a 400', () => {
    const body = { ...structuredClone(DOCKER28), ExposedPorts: { '7000/tcp': {} }, HostConfig: { ...structuredClone(DOCKER28.HostConfig), Tmpfs: { '/scratch': '' }, ShmSize: 134217728 } };
    expect(runRequestFromBody(body, undefined).req.extras).toEqual({ ExposedPorts: { '7000/tcp': {} }, Tmpfs: { '/scratch': '' }, ShmSize: 134217728 });
    expect(() => runRequestFromBody({ Image: 'x', HostConfig: { Tmpfs: { '/t': 'bogus' } } }, undefined)).toThrow(/unknown tmpfs option 'bogus'/);
  });

  it('HostConfig.Mounts become the entries --mount makes; unsupported fields are refused by name', () => {
    // docker 28's Mounts for --mount type=bind,…,readonly,bind-propagation=rslave / type=volume,…,volume-nocopy,volume-label=team=a /
    // type=tmpfs,…,tmpfs-size=1m,tmpfs-mode=1770 (the mode as os.FileMode: 0o1770).
    const mounts = [
      { Type: 'bind', Source: '/srv', Target: '/data', ReadOnly: true, BindOptions: { Propagation: 'rslave' } },
      { Type: 'volume', Source: 'v12', Target: '/v', VolumeOptions: { NoCopy: true, Labels: { team: 'a' } } },
      { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1770 } },
    ];
    const body = { ...structuredClone(DOCKER28), HostConfig: { ...structuredClone(DOCKER28.HostConfig), Mounts: mounts } };
    expect(runRequestFromBody(body, undefined).req.extras?.Mounts).toEqual([
      { Type: 'bind', Source: '/srv', Target: '/data', ReadOnly: true, BindOptions: { Propagation: 'rslave' } },
      { Type: 'volume', Source: 'v12', Target: '/v', ReadOnly: false, VolumeOptions: { NoCopy: true, Labels: { team: 'a' } } },
      { Type: 'tmpfs', Source: '', Target: '/t', ReadOnly: false, TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1770 } },
    ]);
    const withMount = (m: Record<string, unknown>) => () => runRequestFromBody({ Image: 'x', HostConfig: { Mounts: [m] } }, undefined);
    expect(runRequestFromBody({ Image: 'x', HostConfig: { Mounts: [{ Type: 'bind', Source: '/srv', Target: '/x', BindOptions: { NonRecursive: true } }] } }, undefined).req.extras?.Mounts)
      .toEqual([{ Type: 'bind', Source: '/srv', Target: '/x', ReadOnly: false, BindOptions: { NonRecursive: true } }]);
    expect(withMount({ Type: 'bind', Source: '/srv', Target: '/x', BindOptions: { CreateMountpoint: true } })).toThrow('skiff does not support HostConfig.Mounts[0].BindOptions.CreateMountpoint yet');
    expect(withMount({ Type: 'volume', Target: '/x', VolumeOptions: { Subpath: 'a' } })).toThrow('HostConfig.Mounts[0].VolumeOptions.Subpath');
    expect(withMount({ Type: 'volume', Source: 'mv', Target: '/x', VolumeOptions: { DriverConfig: { Name: 'local', Options: { foo: 'bar' } } } })).toThrow('create mv: invalid option: "foo"');
    expect(withMount({ Type: 'tmpfs', Target: '/x', TmpfsOptions: { Options: [['exec']] } })).toThrow('HostConfig.Mounts[0].TmpfsOptions.Options');
    expect(withMount({ Type: 'npipe', Source: 'a', Target: '/x' })).toThrow('invalid mount config for type "npipe": mount type unknown');
    expect(withMount({ Type: 'bind', Target: '/x' })).toThrow('invalid mount config for type "bind": field Source must not be empty');
    expect(withMount({ Type: 'tmpfs', Source: '/a', Target: '/x' })).toThrow('field Source must not be specified');
    expect(withMount({ Type: 'tmpfs', Target: '/x', BindOptions: { Propagation: 'shared' } })).toThrow('field BindOptions must not be specified');
    expect(withMount({ Type: 'volume', Target: 'x' })).toThrow('mount path must be absolute');
    expect(() => runRequestFromBody({ Image: 'x', HostConfig: { Mounts: [{ Type: 'tmpfs', Target: '/x' }, { Type: 'tmpfs', Target: '/x/' }] } }, undefined)).toThrow('Duplicate mount point: /x');
  });

  it('ReadonlyRootfs, ExtraHosts, Dns*, Ulimits, LogConfig none, GroupAdd, Domainname: as run\'s flags store them; a bad value is the flag\'s 400', () => {
    const body = structuredClone(DOCKER28) as Record<string, unknown> & { HostConfig: Record<string, unknown> };
    Object.assign(body.HostConfig, {
      ReadonlyRootfs: true, ExtraHosts: ['db:10.1.2.3'], Dns: ['9.9.9.9'], DnsSearch: ['example.test'], DnsOptions: ['ndots:2'],
      Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }], LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } }, GroupAdd: ['audio'],
    });
    body.Domainname = 'lab.test';
    const { req } = runRequestFromBody(body, undefined);
    expect(req.security?.ReadonlyRootfs).toBe(true);
    expect(req.extras).toMatchObject({
      ExtraHosts: ['db:10.1.2.3'], Dns: ['9.9.9.9'], DnsSearch: ['example.test'], DnsOptions: ['ndots:2'],
      Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }], LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } }, GroupAdd: ['audio'], Domainname: 'lab.test',
    });
    const bad = structuredClone(DOCKER28) as typeof body;
    bad.HostConfig.Dns = ['not an address'];
    expect(() => runRequestFromBody(bad, undefined)).toThrow(ApiError);
    // OomKillDisable: discarded with dockerd's cgroup v2 warning in the answer's Warnings, as the CLI warns.
    const oom = structuredClone(DOCKER28) as typeof body;
    oom.HostConfig.OomKillDisable = true;
    const withOom = runRequestFromBody(oom, undefined);
    expect(withOom.extras.warnings).toEqual(['Your kernel does not support OomKillDisable. OomKillDisable discarded.']);
    expect(withOom.req.extras?.OomKillDisable).toBe(false);
    expect(runRequestFromBody(structuredClone(DOCKER28), undefined).extras.warnings).toEqual([]);
  });

  it('ports: ip, host port, random; a compose network with its aliases', () => {
    const { req, extras } = runRequestFromBody({
      Image: 'x', HostConfig: { NetworkMode: 'proj_default', PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostIp: '', HostPort: '' }] } },
      NetworkingConfig: { EndpointsConfig: { proj_default: { Aliases: ['web', 'abc'] } } },
    }, undefined);
    expect(req.publish).toEqual(['127.0.0.1:8080:80/tcp', '53/udp']);
    expect(req.network).toBe('proj_default');
    expect(extras.aliases).toEqual(['web', 'abc']);
  });

  it('refuses an empty image with moby\'s message', () => {
    expect(() => runRequestFromBody({}, undefined)).toThrow('config cannot be empty in order to create a container');
  });
});

describe('api helpers', () => {
  it('compares API versions numerically', () => {
    expect(compareVersion('1.9', '1.24')).toBeLessThan(0);
    expect(compareVersion('1.50', '1.50')).toBe(0);
    expect(compareVersion('1.51', '1.50')).toBeGreaterThan(0);
  });
  it('frames a stdcopy payload: stream byte, three zeros, big-endian length', () => {
    expect([...frame(2, Buffer.from('hi'))]).toEqual([2, 0, 0, 0, 0, 0, 0, 2, 104, 105]);
  });
});
