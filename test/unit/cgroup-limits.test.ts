import { describe, expect, it } from 'vitest';
import { cpuSharesToWeight, limitFiles, parseLimits, parseRamSize, parseCpusetList } from '../../src/cgroups/limits.js';
import { findCgroup2Mount, ownCgroup, v1Controllers } from '../../src/cgroups/detect.js';
import { parseIoStat } from '../../src/cgroups/stats.js';
import { cpuPercent, formatStatsRow, formatStatsTable } from '../../src/cgroups/stats-format.js';
import { bytesSize, humanSizeWithPrecision } from '../../src/format/size.js';
import { missingControllerError } from '../../src/cgroups/support.js';
import type { CgroupEnv } from '../../src/cgroups/detect.js';
import type { CgroupStats } from '../../src/cgroups/stats.js';
import { SkiffError } from '../../src/errors.js';

const MiB = 1024 ** 2;

function usageError(fn: () => unknown): SkiffError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SkiffError);
    expect((e as SkiffError).code).toBe('EUSAGE');
    return e as SkiffError;
  }
  throw new Error('expected EUSAGE');
}

describe('Docker size strings', () => {
  it.each([
    ['512m', 512 * MiB],
    ['512M', 512 * MiB],
    ['1g', 1024 * MiB],
    ['1.5g', 1.5 * 1024 * MiB],
    ['1024', 1024],
    ['64kb', 64 * 1024],
    ['100MiB', 100 * MiB],
    ['7b', 7],
  ])('%s → %d bytes', (text, bytes) => expect(parseRamSize(text, '--memory')).toBe(bytes));

  it.each(['12x', '', 'm', '-5m', '1..5g', '5 g b'])('refuses %j', (text) => {
    expect(usageError(() => parseRamSize(text, '-m, --memory')).message).toContain('invalid size');
  });
});

describe('parseLimits', () => {
  it('reads every flag, kebab-case or camelCase', () => {
    const want = { memory: 512 * MiB, memorySwap: 1024 * MiB, nanoCpus: 0.5e9, cpuShares: 512, pidsLimit: 100, cpusetCpus: '0-1' };
    expect(parseLimits({ memory: '512m', 'memory-swap': '1g', cpus: '0.5', 'cpu-shares': '512', 'pids-limit': '100', 'cpuset-cpus': '0-1' }, 2)).toEqual(want);
    expect(parseLimits({ memory: '512m', memorySwap: '1g', cpus: '0.5', cpuShares: '512', pidsLimit: '100', cpusetCpus: '0-1' }, 2)).toEqual(want);
  });

  it('no flags, or undefined ones, means no limits', () => {
    expect(parseLimits({}, 2)).toEqual({});
    expect(parseLimits({ memory: undefined, cpus: undefined }, 2)).toEqual({});
  });

  it('zero means unlimited, as in Docker', () => {
    expect(parseLimits({ memory: '0', cpus: '0', 'cpu-shares': '0' }, 2)).toEqual({});
  });

  it('--memory-swap -1 is unlimited swap', () => {
    expect(parseLimits({ memory: '64m', 'memory-swap': '-1' }, 2)).toEqual({ memory: 64 * MiB, memorySwap: -1 });
  });

  it('refuses what Docker refuses, in its words', () => {
    expect(usageError(() => parseLimits({ memory: '4m' }, 2)).message).toBe('Minimum memory limit allowed is 6MB');
    expect(usageError(() => parseLimits({ 'memory-swap': '1g' }, 2)).message).toMatch(/always set the Memory limit/);
    expect(usageError(() => parseLimits({ memory: '1g', 'memory-swap': '512m' }, 2)).message).toMatch(/memoryswap limit should be larger/);
    expect(usageError(() => parseLimits({ cpus: '3' }, 2)).message).toBe('Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
    expect(usageError(() => parseLimits({ cpus: '0.001' }, 2)).message).toMatch(/Range of CPUs/);
    expect(usageError(() => parseLimits({ cpus: 'half' }, 2)).message).toMatch(/invalid argument "half" for "--cpus"/);
    expect(usageError(() => parseLimits({ cpus: '-1' }, 2)).message).toMatch(/--cpus/);
    expect(usageError(() => parseLimits({ 'cpu-shares': 'lots' }, 2)).message).toMatch(/cpu-shares/);
    expect(usageError(() => parseLimits({ 'pids-limit': '1.5' }, 2)).message).toMatch(/pids-limit/);
  });

  it.each(['0', '0-1', '0,2', '0-3,5', ' 1 '])('cpuset %j is accepted', (s) => expect(parseCpusetList(s)).toBe(s.trim()));
  it.each(['1-0', 'a', '0-', ',1', '0;1', '-1'])('cpuset %j is refused', (s) => {
    usageError(() => parseLimits({ 'cpuset-cpus': s }, 2));
  });
});

describe('cgroup v2 values', () => {
  it('cpu-shares → cpu.weight as runc ≥ 1.3.2 / crun convert it', () => {
    expect(cpuSharesToWeight(1024)).toBe(100);
    expect(cpuSharesToWeight(512)).toBe(59);
    expect(cpuSharesToWeight(2048)).toBe(174);
    expect(cpuSharesToWeight(2)).toBe(1);
    expect(cpuSharesToWeight(1)).toBe(1);
    expect(cpuSharesToWeight(262144)).toBe(10000);
    expect(cpuSharesToWeight(1_000_000)).toBe(10000);
    // monotonic over the whole v1 range
    let last = 0;
    for (let s = 2; s <= 262144; s += 97) {
      const w = cpuSharesToWeight(s);
      expect(w).toBeGreaterThanOrEqual(last);
      last = w;
    }
  });

  it('maps each limit to its file', () => {
    const files = (l: Parameters<typeof limitFiles>[0]) => Object.fromEntries(limitFiles(l).map((f) => [f.file, f.value]));
    expect(files(parseLimits({ cpus: '0.5' }, 2))).toEqual({ 'cpu.max': '50000 100000' });
    expect(files(parseLimits({ cpus: '1.5' }, 2))).toEqual({ 'cpu.max': '150000 100000' });
    expect(files(parseLimits({ cpus: '0.01' }, 2))).toEqual({ 'cpu.max': '1000 100000' });
    expect(files(parseLimits({ 'cpu-shares': '512' }, 2))).toEqual({ 'cpu.weight': '59' });
    expect(files(parseLimits({ 'pids-limit': '100' }, 2))).toEqual({ 'pids.max': '100' });
    expect(files(parseLimits({ 'pids-limit': '-1' }, 2))).toEqual({ 'pids.max': 'max' });
    expect(files(parseLimits({ 'cpuset-cpus': '0-1' }, 2))).toEqual({ 'cpuset.cpus': '0-1' });
    // Docker: swap defaults to as much as memory; --memory-swap is memory + swap; -1 unlimited.
    expect(files(parseLimits({ memory: '512m' }, 2))).toEqual({ 'memory.max': String(512 * MiB), 'memory.swap.max': String(512 * MiB) });
    expect(files(parseLimits({ memory: '512m', 'memory-swap': '1g' }, 2))['memory.swap.max']).toBe(String(512 * MiB));
    expect(files(parseLimits({ memory: '512m', 'memory-swap': '512m' }, 2))['memory.swap.max']).toBe('0');
    expect(files(parseLimits({ memory: '512m', 'memory-swap': '-1' }, 2))['memory.swap.max']).toBe('max');
    expect(limitFiles({})).toEqual([]);
  });
});

describe('detection parsers', () => {
  const hybrid = [
    '25 31 0:22 / /sys/fs/cgroup ro,nosuid shared:9 - tmpfs tmpfs ro,mode=755',
    '26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid shared:10 - cgroup2 cgroup2 rw,nsdelegate',
    '28 25 0:25 / /sys/fs/cgroup/memory rw,nosuid shared:12 - cgroup cgroup rw,memory',
    '29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:13 - cgroup cgroup rw,cpu,cpuacct',
    '30 25 0:27 / /sys/fs/cgroup/blkio rw,nosuid shared:14 - cgroup cgroup rw,blkio',
  ].join('\n');
  const unified = '26 25 0:23 / /sys/fs/cgroup rw,nosuid shared:10 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n';

  it('finds cgroup2 on unified and hybrid machines, and none on v1-only', () => {
    expect(findCgroup2Mount(unified)).toEqual({ path: '/sys/fs/cgroup', layout: 'unified' });
    expect(findCgroup2Mount(hybrid)).toEqual({ path: '/sys/fs/cgroup/unified', layout: 'hybrid' });
    expect(findCgroup2Mount('28 25 0:25 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n')).toBeUndefined();
    expect(findCgroup2Mount('40 1 0:40 / /mnt/cg\\040x rw - cgroup2 cgroup2 rw\n')).toEqual({ path: '/mnt/cg x', layout: 'other' });
  });

  it('names the v1 hierarchy a controller is bound to', () => {
    const v1 = v1Controllers(hybrid);
    expect(v1.get('memory')).toBe('/sys/fs/cgroup/memory');
    expect(v1.get('cpu')).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(v1.get('io')).toBe('/sys/fs/cgroup/blkio');
    expect(v1.has('pids')).toBe(false);
  });

  it('reads its own cgroup from /proc/self/cgroup', () => {
    expect(ownCgroup('0::/user.slice/user-1000.slice/user@1000.service/app.slice\n')).toBe('/user.slice/user-1000.slice/user@1000.service/app.slice');
    expect(ownCgroup('4:memory:/x\n0::/\n')).toBe('/');
    expect(ownCgroup('4:memory:/x\n')).toBeUndefined();
  });

  it('sums io.stat over devices', () => {
    expect(parseIoStat('8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n253:0 rbytes=1000 wbytes=0 rios=1 wios=0\n')).toEqual({ read: 5096, write: 8192 });
    expect(parseIoStat('')).toEqual({ read: 0, write: 0 });
    expect(parseIoStat(undefined)).toBeUndefined();
  });
});

describe('the ECGROUP error', () => {
  const base: CgroupEnv = { mount: { path: '/sys/fs/cgroup', layout: 'unified' }, own: '/', rootless: false, base: '/sys/fs/cgroup', unusable: undefined, available: ['cpu', 'pids'], enabled: [], parent: '/sys/fs/cgroup/skiff' };

  it('names flag, controller and what the parent offers', () => {
    const e = missingControllerError(base, 'memory');
    expect(e.code).toBe('ECGROUP');
    expect(e.message).toBe('cannot apply --memory: the memory controller of cgroup v2 is not available here (/sys/fs/cgroup offers only: cpu pids)');
    expect(e.hint).toContain('+memory');
  });

  it('rootless without delegation says so and how to get it', () => {
    const e = missingControllerError({ ...base, rootless: true, base: undefined, parent: undefined, available: [], unusable: "skiff's own cgroup /user.slice/session-2.scope is not delegated to this user" }, 'pidsLimit');
    expect(e.message).toMatch(/^cannot apply --pids-limit: the pids controller .* not delegated to this user\)$/);
    expect(e.hint).toContain('systemd-run --user --scope -p Delegate=yes');
  });

  it('a rootless delegated cgroup without the controller points at user@.service', () => {
    const e = missingControllerError({ ...base, rootless: true }, 'cpusetCpus');
    expect(e.message).toContain('the cpuset controller');
    expect(e.hint).toContain('Delegate=cpu cpuset io memory pids');
  });
});

describe('docker stats output', () => {
  const sample = (over: Partial<CgroupStats>): CgroupStats => ({
    at: 0, cpuUsageUsec: 0, memoryCurrent: 2_200_000, inactiveFile: 123_328, memoryUsage: 2_076_672, memoryLimit: undefined,
    blockRead: 0, blockWrite: 0, pids: 1, oomKills: 0, ...over,
  });

  it('sizes like go-units', () => {
    expect(bytesSize(2_076_672)).toBe('1.98MiB');
    expect(bytesSize(8_232_370_176)).toBe('7.667GiB');
    expect(bytesSize(512 * MiB)).toBe('512MiB');
    expect(bytesSize(0)).toBe('0B');
    expect(humanSizeWithPrecision(1050, 3)).toBe('1.05kB');
    expect(humanSizeWithPrecision(0, 3)).toBe('0B');
    expect(humanSizeWithPrecision(12_345_678, 3)).toBe('12.3MB');
  });

  it('CPU % from two samples', () => {
    expect(cpuPercent(sample({ at: 1000, cpuUsageUsec: 1_000_000 }), sample({ at: 3000, cpuUsageUsec: 2_000_000 }))).toBeCloseTo(50);
    expect(cpuPercent(undefined, sample({}))).toBeUndefined();
  });

  it('a row and the table, aligned as docker/cli prints them', () => {
    const row = formatStatsRow({
      id: 'b2fd5d1dd5c3aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      name: '/hello',
      prev: sample({ at: 0, cpuUsageUsec: 0 }),
      cur: sample({ at: 1000, cpuUsageUsec: 5000, memoryLimit: 512 * MiB, blockRead: 4096, blockWrite: 0 }),
      net: { rx: 1050, tx: 0 },
    });
    expect(row).toEqual(['b2fd5d1dd5c3', 'hello', '0.50%', '1.98MiB / 512MiB', '0.39%', '1.05kB / 0B', '4.1kB / 0B', '1']);
    const table = formatStatsTable([row]).split('\n');
    expect(table[0]).toBe('CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O       BLOCK I/O    PIDS');
    expect(table[1]).toBe('b2fd5d1dd5c3   hello     0.50%     1.98MiB / 512MiB    0.39%     1.05kB / 0B   4.1kB / 0B   1');
  });

  it('unknown values print as --, no limit shows host memory', () => {
    const row = formatStatsRow({ id: 'abc', name: 'x', cur: sample({ memoryUsage: undefined, pids: undefined, blockRead: undefined }), hostMemory: 8 * 1024 * MiB });
    expect(row).toEqual(['abc', 'x', '--', '-- / --', '--', '-- / --', '-- / --', '--']);
    const row2 = formatStatsRow({ id: 'abc', name: 'x', cur: sample({}), hostMemory: 8 * 1024 * MiB });
    expect(row2[3]).toBe('1.98MiB / 8GiB');
  });
});
