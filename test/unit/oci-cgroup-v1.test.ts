// skiff-oci's cgroup v1 translation (src/oci/cgroup-v1.ts): linux.resources → the files and values
// runc's cgroupfs manager writes, the hierarchy table read from mountinfo, and where a cgroupsPath lands.
import { describe, expect, it } from 'vitest';
import { cgroupRelPath, v1Mounts, v1Writes } from '../../src/oci/cgroup-v1.js';

describe('v1Writes', () => {
  it('maps memory, cpu, cpuset, pids, blkio and devices to v1 files, period before quota', () => {
    const w = v1Writes({
      memory: { limit: 1 << 26, reservation: 1 << 25, swap: 1 << 27, swappiness: 10, disableOOMKiller: true },
      cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0-1', mems: '0' },
      pids: { limit: 0 },
      blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }] },
      devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }],
    }).map((x) => `${x.controller}/${x.file}=${x.value}`);
    expect(w).toEqual([
      'devices/devices.deny=a',
      'devices/devices.allow=c 1:3 rw',
      `memory/memory.limit_in_bytes=${1 << 26}`,
      `memory/memory.soft_limit_in_bytes=${1 << 25}`,
      `memory/memory.memsw.limit_in_bytes=${1 << 27}`,
      'memory/memory.swappiness=10',
      'memory/memory.oom_control=1',
      'cpu/cpu.shares=512',
      'cpu/cpu.cfs_period_us=100000',
      'cpu/cpu.cfs_quota_us=50000',
      'cpuset/cpuset.cpus=0-1',
      'cpuset/cpuset.mems=0',
      'pids/pids.max=max',
      'blkio/blkio.throttle.read_bps_device=8:0 1048576',
    ]);
  });

  it('writes nothing for an empty or absent resources object', () => {
    expect(v1Writes(undefined)).toEqual([]);
    expect(v1Writes({ memory: {}, cpu: {} })).toEqual([]);
  });

  it('names the config key of each write, for the error that names what the host lacks', () => {
    expect(v1Writes({ hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }] })[0]).toMatchObject({ controller: 'hugetlb', file: 'hugetlb.2MB.limit_in_bytes', key: 'hugepageLimits' });
    expect(v1Writes({ network: { classID: 1048577 } })[0]).toMatchObject({ controller: 'net_cls', key: 'network.classID' });
  });
});

describe('v1Mounts', () => {
  it('reads each controller\'s hierarchy from mountinfo, co-mounted ones and name= included, v2 and others skipped', () => {
    const m = v1Mounts([
      '30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755',
      '31 30 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
      '32 30 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd',
      '33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct',
      '34 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
    ].join('\n'));
    expect([...m.entries()]).toEqual([
      ['name=systemd', '/sys/fs/cgroup/systemd'], ['cpu', '/sys/fs/cgroup/cpu,cpuacct'],
      ['cpuacct', '/sys/fs/cgroup/cpu,cpuacct'], ['memory', '/sys/fs/cgroup/memory'],
    ]);
  });
});

describe('cgroupRelPath', () => {
  it('keeps an absolute path, puts a relative one under the root, and refuses ".."', () => {
    expect(cgroupRelPath('/default/abc', 'abc')).toBe('/default/abc');
    expect(cgroupRelPath('testdir/cgrouptest/container', 'x')).toBe('/testdir/cgrouptest/container');
    expect(cgroupRelPath(undefined, 'c1')).toBe('/skiff-oci/c1');
    expect(() => cgroupRelPath('/a/../../etc', 'x')).toThrow(/climbs/);
  });
});
