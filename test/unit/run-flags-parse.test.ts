// The describing flags of run/create read with Docker's grammar: what each becomes in Config/HostConfig,
// and Docker's one-line error (exit 125) for each kind of bad input, before anything exists.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkUlimitsReachable, extraHostEntries, parseAddHost, parseExpose, parseHealth, parseLabels, parseLogConfig, parseRunExtras, parseUlimit, readListFile,
} from '../../src/engine/run-extras.js';
import { csvFields, parseMountSpec, parseTmpfsSpec, tmpfsMountArgs } from '../../src/volumes/mount-spec.js';
import { parsePortSpecs } from '../../src/network/port-spec.js';
import { localVolumeMount } from '../../src/volumes/local-driver.js';
import { parseVolumeSpec } from '../../src/volumes/spec.js';
import { absoluteVolumeSource, checkPlatform } from '../../src/engine/run-command.js';
import { mergeHealthcheck } from '../../src/engine/run.js';
import { nextHealth, testArgv } from '../../src/engine/health.js';
import { customResolvConf } from '../../src/network/etc-files.js';
import { displayPorts } from '../../src/engine/ps.js';
import { resolveUser } from '../../src/engine/user-lookup.js';

const usage = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toMatchObject({ exitCode: 125 });
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('accepted');
};

const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'rf-unit-')); dirs.push(d); return d; };
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('--mount', () => {
  it('reads Docker\'s key=value grammar with every alias', () => {
    expect(parseMountSpec('type=bind,source=/srv,target=/data,readonly')).toEqual({ Type: 'bind', Source: '/srv', Target: '/data', ReadOnly: true });
    expect(parseMountSpec('type=bind,src=/srv,dst=/data,ro=false,bind-propagation=rslave'))
      .toEqual({ Type: 'bind', Source: '/srv', Target: '/data', ReadOnly: false, BindOptions: { Propagation: 'rslave' } });
    expect(parseMountSpec('source=vol,destination=/v,volume-opt=o=uid=1000,volume-opt=type=tmpfs'))
      .toEqual({ Type: 'volume', Source: 'vol', Target: '/v', ReadOnly: false, VolumeOptions: { DriverConfig: { Name: 'local', Options: { o: 'uid=1000', type: 'tmpfs' } } } });
    expect(parseMountSpec('type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1770'))
      .toEqual({ Type: 'tmpfs', Source: '', Target: '/t', ReadOnly: false, TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1770 } });
    expect(csvFields('type=bind,"src=/a,b",dst=/x')).toEqual(['type=bind', 'src=/a,b', 'dst=/x']);
  });

  it('refuses bad specs with Docker\'s wording', () => {
    expect(usage(() => parseMountSpec('type=bind,source=/srv'))).toContain('target is required');
    expect(usage(() => parseMountSpec('type=nfs,target=/x'))).toBe('invalid mount config for type "nfs": mount type unknown');
    expect(usage(() => parseMountSpec('type=bind,target=/x'))).toBe('invalid mount config for type "bind": field Source must not be empty');
    expect(usage(() => parseMountSpec('type=bind,source=rel,target=/x'))).toContain('must be absolute');
    expect(usage(() => parseMountSpec('type=tmpfs,source=/a,target=/x'))).toContain('field Source must not be specified');
    expect(usage(() => parseMountSpec('type=bind,src=/a,target=/x,color=red'))).toContain("unexpected key 'color'");
    expect(usage(() => parseMountSpec('type=bind,src=/a,target=/x,bogus'))).toContain("invalid field 'bogus' must be a key=value pair");
    expect(usage(() => parseMountSpec('type=bind,src=/a,target=/'))).toContain("destination can't be '/'");
    expect(usage(() => parseMountSpec('type=bind,src=/a,target=/x,bind-propagation=weird'))).toContain('bind-propagation');
    expect(usage(() => parseMountSpec('type=volume,src=/a,target=/x,tmpfs-size=1m'))).toContain("cannot mix 'tmpfs-size'");
    expect(usage(() => parseMountSpec('type=tmpfs,target=/x,tmpfs-mode=999'))).toContain('tmpfs-mode');
  });

  it('volume-nocopy, volume-label, bind-nonrecursive / bind-recursive are kept as Docker keeps them; what skiff cannot do is refused', () => {
    expect(parseMountSpec('type=volume,src=v,dst=/d,volume-nocopy,volume-label=a=1')).toEqual({ Type: 'volume', Source: 'v', Target: '/d', ReadOnly: false, VolumeOptions: { NoCopy: true, Labels: { a: '1' } } });
    expect(parseMountSpec('type=volume,src=v,dst=/d,volume-nocopy=false')).toEqual({ Type: 'volume', Source: 'v', Target: '/d', ReadOnly: false });
    expect(parseMountSpec('type=bind,src=/s,dst=/d,bind-nonrecursive')).toMatchObject({ BindOptions: { NonRecursive: true } });
    expect(parseMountSpec('type=bind,src=/s,dst=/d,bind-recursive=disabled')).toMatchObject({ BindOptions: { NonRecursive: true } });
    expect(parseMountSpec('type=bind,src=/s,dst=/d,bind-recursive=enabled')).not.toHaveProperty('BindOptions');
    expect(usage(() => parseMountSpec('type=bind,src=/s,dst=/d,bind-recursive=readonly'))).toContain('bind-recursive');
    expect(usage(() => parseMountSpec('type=volume,src=v,dst=/d,volume-driver=nfs'))).toContain('volume driver "nfs" is not available');
    expect(usage(() => parseMountSpec('type=volume,src=v,dst=/d,volume-opt=foo=bar'))).toBe('create v: invalid option: "foo"');
    expect(usage(() => parseMountSpec('type=volume,src=v,dst=/d,volume-opt=type=ext4,volume-opt=device=/dev/sda1'))).toContain('type=tmpfs and o=bind volumes only');
    expect(usage(() => parseMountSpec('type=volume,src=v,dst=/d,volume-opt=type=tmpfs,volume-opt=o=colour=blue'))).toContain('invalid option "colour=blue"');
  });

  it('the local driver: a tmpfs with its o= options, a bind of its device, a plain directory otherwise', () => {
    expect(localVolumeMount(undefined)).toEqual({ kind: 'dir' });
    expect(localVolumeMount({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m,uid=1000,noexec' })).toEqual({ kind: 'tmpfs', options: 'size=1m,uid=1000,noexec' });
    expect(localVolumeMount({ type: 'none', o: 'bind,ro', device: '/srv/x' })).toEqual({ kind: 'bind', device: '/srv/x', readonly: true });
    expect(usage(() => localVolumeMount({ type: 'none', o: 'bind', device: 'rel' }))).toContain('device=/absolute');
    expect(usage(() => localVolumeMount({ type: 'nfs', o: 'addr=1.2.3.4', device: ':/x' }))).toContain('type=tmpfs and o=bind volumes only');
  });

  it('-v modes: ro/rw and nocopy (a named volume only)', () => {
    expect(parseVolumeSpec('vol:/d:nocopy')).toEqual({ source: 'vol', named: true, target: '/d', readonly: false, nocopy: true });
    expect(parseVolumeSpec('vol:/d:ro,nocopy')).toEqual({ source: 'vol', named: true, target: '/d', readonly: true, nocopy: true });
    expect(usage(() => parseVolumeSpec('/srv:/d:nocopy'))).toBe('invalid mode: nocopy');
    expect(usage(() => parseVolumeSpec('vol:/d:ro,rw'))).toBe('invalid mode: ro,rw');
  });

  it('--tmpfs PATH[:OPTS]: options checked, Docker\'s noexec,nosuid,nodev default overridable', () => {
    expect(parseTmpfsSpec('/run')).toEqual(['/run', '']);
    expect(parseTmpfsSpec('/run:rw,size=64m,exec')).toEqual(['/run', 'rw,size=64m,exec']);
    expect(usage(() => parseTmpfsSpec('run'))).toBe("invalid mount path: 'run' mount path must be absolute");
    expect(usage(() => parseTmpfsSpec('/run:colour=blue'))).toContain("unknown tmpfs option 'colour=blue'");
    const a = tmpfsMountArgs('exec,size=1m,mode=1777', ['noexec', 'nosuid', 'nodev']);
    expect([...a.words].sort()).toEqual(['exec', 'nodev', 'nosuid']);
    expect(a.data).toBe('size=1048576,mode=1777');
  });
});

describe('-p ranges, --expose, relative -v, --platform', () => {
  it('expands equal ranges pairwise and refuses unequal ones', () => {
    expect(parsePortSpecs('8090-8091:80-81')).toEqual([
      { hostIp: '0.0.0.0', hostPort: 8090, containerPort: 80, proto: 'tcp' },
      { hostIp: '0.0.0.0', hostPort: 8091, containerPort: 81, proto: 'tcp' },
    ]);
    expect(parsePortSpecs('127.0.0.1:5000-5001:6000-6001/udp').map((p) => `${p.hostIp}:${p.hostPort}:${p.containerPort}/${p.proto}`))
      .toEqual(['127.0.0.1:5000:6000/udp', '127.0.0.1:5001:6001/udp']);
    expect(parsePortSpecs('80-82').map((p) => p.containerPort)).toEqual([80, 81, 82]);
    expect(parsePortSpecs('8080:80')).toHaveLength(1);
    expect(usage(() => parsePortSpecs('8090-8092:80-81'))).toContain('invalid ranges specified for container and host Ports');
    expect(usage(() => parsePortSpecs('8091-8090:80-81'))).toContain('invalid range');
  });

  it('--expose adds ExposedPorts keys, ranges included', () => {
    expect(parseExpose('80')).toEqual(['80/tcp']);
    expect(parseExpose('53/udp')).toEqual(['53/udp']);
    expect(parseExpose('7000-7002')).toEqual(['7000/tcp', '7001/tcp', '7002/tcp']);
    expect(usage(() => parseExpose('http'))).toBe('invalid range format for --expose: http, error: strconv.ParseUint: parsing "http": invalid syntax');
  });

  it('a -v source starting with "." is relative to the caller\'s directory', () => {
    expect(absoluteVolumeSource('./data:/x', '/home/u/proj')).toBe('/home/u/proj/data:/x');
    expect(absoluteVolumeSource('../d:/x:ro', '/home/u/proj')).toBe('/home/u/d:/x:ro');
    expect(absoluteVolumeSource('vol:/x', '/home')).toBe('vol:/x');
    expect(absoluteVolumeSource('/abs:/x', '/home')).toBe('/abs:/x');
  });

  it('--platform: the machine\'s own is accepted, others are a clear error', () => {
    for (const p of ['linux/amd64', 'linux', 'linux/amd64/v2', 'linux/x86_64', '']) expect(() => checkPlatform(p, 'amd64')).not.toThrow();
    expect(usage(() => checkPlatform('linux/arm64', 'amd64'))).toContain('"linux/arm64" is not supported');
    expect(usage(() => checkPlatform('windows/amd64', 'amd64'))).toContain('not supported');
  });
});

describe('labels, hosts, dns', () => {
  it('--label-file first, then -l (later wins); a missing file is skiff\'s own error', () => {
    const d = tmp();
    writeFileSync(join(d, 'labels'), '# comment\na=1\nb=from-file\nflag\n\n');
    expect(parseLabels(['b=2', 'c='], [join(d, 'labels')])).toEqual({ a: '1', b: '2', flag: '', c: '' });
    expect(usage(() => parseLabels([], [join(d, 'nope')]))).toBe(`open ${join(d, 'nope')}: no such file or directory`);
    expect(usage(() => readListFile(join(d, 'nope'), '--env-file'))).toContain('no such file or directory');
    expect(usage(() => parseLabels(['=v'], []))).toContain('key is empty');
  });

  it('--add-host name:ip and name=ip, host-gateway, IPv6; bad ones with Docker\'s wording', () => {
    expect(parseAddHost('db:10.0.0.5')).toBe('db:10.0.0.5');
    expect(parseAddHost('db=10.0.0.5')).toBe('db:10.0.0.5');
    expect(parseAddHost('v6:[::1]')).toBe('v6:::1');
    expect(parseAddHost('host.docker.internal:host-gateway')).toBe('host.docker.internal:host-gateway');
    expect(extraHostEntries(['gw:host-gateway', 'db:10.0.0.5'])).toEqual([{ ip: '172.17.0.1', names: ['gw'] }, { ip: '10.0.0.5', names: ['db'] }]);
    expect(usage(() => parseAddHost('nocolon'))).toContain('bad format for add-host: "nocolon"');
    expect(usage(() => parseAddHost('db:300.1.1.1'))).toContain('invalid IP address in add-host: "300.1.1.1"');
  });

  it('--dns/--dns-search/--dns-option replace their kind of line', () => {
    const base = '# host\nnameserver 192.0.2.1\nsearch corp.test\noptions edns0\n';
    expect(customResolvConf(base, { dns: ['9.9.9.9'] })).toBe('search corp.test\nnameserver 9.9.9.9\noptions edns0\n');
    expect(customResolvConf(base, { dnsSearch: ['a.test', 'b.test'], dnsOptions: ['ndots:2'] })).toBe('search a.test b.test\nnameserver 192.0.2.1\noptions ndots:2\n');
    expect(customResolvConf(base, { dnsSearch: ['.'] })).toBe('nameserver 192.0.2.1\noptions edns0\n');
    expect(customResolvConf(base, {})).toBe(base);
    expect(usage(() => parseRunExtras({ dns: ['dns.google'] }))).toBe('invalid argument "dns.google" for "--dns" flag: IP address is not correctly formatted: dns.google');
    expect(usage(() => parseRunExtras({ dnsSearch: ['bad domain'] }))).toContain('is not a valid domain');
  });
});

describe('ulimits, stop, logs, health, the rest', () => {
  it('--ulimit name=soft[:hard] as go-units reads it', () => {
    expect(parseUlimit('nofile=1024:2048')).toEqual({ Name: 'nofile', Soft: 1024, Hard: 2048 });
    expect(parseUlimit('core=0')).toEqual({ Name: 'core', Soft: 0, Hard: 0 });
    expect(parseUlimit('memlock=-1:-1')).toEqual({ Name: 'memlock', Soft: -1, Hard: -1 });
    expect(usage(() => parseUlimit('nofiles=1'))).toContain('invalid ulimit type: nofiles');
    expect(usage(() => parseUlimit('nofile=2048:1024'))).toContain('soft limit must be less than or equal to hard limit');
    expect(usage(() => parseUlimit('nofile=a'))).toContain('invalid ulimit soft value: a');
    expect(usage(() => parseUlimit('nofile'))).toContain('invalid ulimit argument');
    expect(usage(() => parseUlimit('nofile=1:2:3'))).toContain('too many limit value arguments');
  });

  it('a hard limit above skiff\'s own is refused up front (a user namespace cannot raise it)', () => {
    const limits = 'Limit Soft Hard Units\n' + Array.from({ length: 16 }, (_, i) => `${`Res ${i}`.padEnd(26)}${'100'.padEnd(21)}${i === 4 ? 'unlimited' : '200'}`).join('\n');
    expect(() => checkUlimitsReachable([{ Name: 'nofile', Soft: 100, Hard: 200 }], limits)).not.toThrow();
    expect(() => checkUlimitsReachable([{ Name: 'core', Soft: -1, Hard: -1 }], limits)).not.toThrow();
    expect(usage(() => checkUlimitsReachable([{ Name: 'nofile', Soft: 100, Hard: 201 }], limits))).toContain("above skiff's own (200)");
  });

  it('--stop-signal, --stop-timeout, --domainname, --group-add, --shm-size, --oom-kill-disable', () => {
    expect(parseRunExtras({ stopSignal: 'SIGUSR1', stopTimeout: '3', domainname: 'example.org', groupAdd: ['audio', '29'], shmSize: '128m', oomKillDisable: true }))
      .toEqual({ StopSignal: 'SIGUSR1', StopTimeout: 3, Domainname: 'example.org', GroupAdd: ['audio', '29'], ShmSize: 128 * 1024 * 1024, OomKillDisable: true });
    expect(usage(() => parseRunExtras({ stopSignal: 'SIGNOPE' }))).toBe('Invalid signal: SIGNOPE');
    expect(usage(() => parseRunExtras({ stopTimeout: 'soon' }))).toContain('invalid syntax');
    expect(usage(() => parseRunExtras({ shmSize: 'lots' }))).toContain('--shm-size');
    expect(usage(() => parseRunExtras({ domainname: '-bad' }))).toContain('--domainname');
  });

  it('--log-driver json-file|none and --log-opt max-size/max-file', () => {
    expect(parseLogConfig(undefined, ['max-size=10m', 'max-file=3'])).toEqual({ Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } });
    expect(parseLogConfig('none', [])).toEqual({ Type: 'none', Config: {} });
    expect(usage(() => parseLogConfig('syslog2', []))).toBe('error looking up logging plugin syslog2: plugin "syslog2" not found');
    expect(usage(() => parseLogConfig('syslog', []))).toContain('not supported by skiff');
    expect(usage(() => parseLogConfig(undefined, ['max-file=x', 'max-size=1m']))).toBe('failed to initialize logging driver: strconv.Atoi: parsing "x": invalid syntax');
    expect(usage(() => parseLogConfig(undefined, ['colour=red']))).toBe("unknown log opt 'colour' for json-file log driver");
    expect(usage(() => parseLogConfig(undefined, ['max-size=huge']))).toContain('max-size');
    expect(usage(() => parseLogConfig(undefined, ['max-file=0', 'max-size=1m']))).toContain('max-file cannot be less than 1');
  });

  it('--health-* become a HealthConfig in nanoseconds; --no-healthcheck is Test NONE', () => {
    expect(parseHealth({ healthCmd: 'curl -f localhost', healthInterval: '5s', healthRetries: '2', healthTimeout: '1s', healthStartPeriod: '1m' }))
      .toEqual({ Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 5e9, Timeout: 1e9, StartPeriod: 60e9, Retries: 2 });
    expect(parseHealth({ healthcheck: false })).toEqual({ Test: ['NONE'] });
    expect(parseHealth({})).toBeUndefined();
    expect(usage(() => parseHealth({ healthcheck: false, healthCmd: 'true' }))).toBe('--no-healthcheck conflicts with --health-* options');
    expect(usage(() => parseHealth({ healthInterval: '-1s' }))).toBe('--health-interval cannot be negative');
    expect(usage(() => parseHealth({ healthTimeout: 'soon' }))).toContain('time: invalid duration "soon"');
    expect(usage(() => parseHealth({ healthRetries: '-1' }))).toBe('--health-retries cannot be negative');
  });

  it('flags override the image\'s HEALTHCHECK field by field; NONE disables it', () => {
    const image = { Test: ['CMD', 'true'], Interval: 10e9, Retries: 5 };
    expect(mergeHealthcheck(image, undefined)).toBe(image);
    expect(mergeHealthcheck(image, { Test: [], Interval: 1e9, Timeout: 0, StartPeriod: 0, Retries: 0 }))
      .toEqual({ Test: ['CMD', 'true'], Interval: 1e9, Retries: 5 }); // zero fields left out, as moby's omitempty
    expect(mergeHealthcheck(image, { Test: ['NONE'] })).toEqual({ Test: ['NONE'] });
    expect(mergeHealthcheck(undefined, { Test: [], Interval: 1e9, Timeout: 0, StartPeriod: 0, Retries: 0 })).toBeUndefined();
    expect(testArgv(['CMD-SHELL', 'exit 1'])).toEqual(['/bin/sh', '-c', 'exit 1']);
    expect(testArgv(['CMD', 'a', 'b'])).toEqual(['a', 'b']);
  });

  it('the health verdict: success is healthy, `retries` failures unhealthy, start-period failures do not count', () => {
    const h = { Test: ['CMD', 'x'], Retries: 2, StartPeriod: 10e9 };
    const started = '2026-01-01T00:00:00Z';
    const at = (s: number, code: number) => ({ Start: `2026-01-01T00:00:${String(s).padStart(2, '0')}Z`, End: `2026-01-01T00:00:${String(s).padStart(2, '0')}Z`, ExitCode: code, Output: '' });
    let st = nextHealth({ Status: 'starting', FailingStreak: 0, Log: [] }, h, at(1, 1), started);
    expect(st).toMatchObject({ Status: 'starting', FailingStreak: 0 });
    st = nextHealth(st, h, at(11, 1), started);
    expect(st).toMatchObject({ Status: 'starting', FailingStreak: 1 });
    st = nextHealth(st, h, at(12, 1), started);
    expect(st).toMatchObject({ Status: 'unhealthy', FailingStreak: 2 });
    st = nextHealth(st, h, at(13, 0), started);
    expect(st).toMatchObject({ Status: 'healthy', FailingStreak: 0 });
    for (let i = 14; i < 20; i++) st = nextHealth(st, h, at(i, 0), started);
    expect(st.Log).toHaveLength(5);
  });
});

describe('ps PORTS and -u groups, as Docker shows them', () => {
  it('groups runs of exposed or same-number ports; maps to another number one by one, last', () => {
    expect(displayPorts({
      '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8090' }], '81/tcp': [{ HostIp: '0.0.0.0', HostPort: '8091' }],
      '7000/tcp': null, '7001/tcp': null, '9000/tcp': [{ HostIp: '0.0.0.0', HostPort: '9000' }], '9001/tcp': [{ HostIp: '0.0.0.0', HostPort: '9001' }],
    })).toBe('7000-7001/tcp, 0.0.0.0:9000-9001->9000-9001/tcp, 0.0.0.0:8090->80/tcp, 0.0.0.0:8091->81/tcp');
    expect(displayPorts({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8088' }] })).toBe('0.0.0.0:8088->80/tcp');
    expect(displayPorts({})).toBe('');
  });

  it('-u uid:gid gives exactly that group; the implicit form the image\'s memberships; --group-add adds', () => {
    const layer = tmp();
    mkdirSync(join(layer, 'etc'));
    writeFileSync(join(layer, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
    writeFileSync(join(layer, 'etc/group'), 'root:x:0:\nwheel:x:10:root,app\naudio:x:29:\napp:x:1000:\n');
    // As dockerd 20.10 gives them: the primary gid always, memberships only without an explicit group.
    expect(resolveUser('app', [layer]).groups).toEqual([1000, 10]);
    expect(resolveUser('1000', [layer]).groups).toEqual([1000, 10]);
    expect(resolveUser('1000:1000', [layer]).groups).toEqual([1000]);
    expect(resolveUser('root', [layer]).groups).toEqual([0, 10]);
    expect(resolveUser('app:app', [layer], ['audio', '44']).groups).toEqual([1000, 29, 44]);
    expect(usage(() => resolveUser('app', [layer], ['nosuch']))).toBe('Unable to find group nosuch: no matching entries in group file');
  });
});
