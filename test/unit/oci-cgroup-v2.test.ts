// linux.resources → cgroup v2 files, without a kernel: runc's conversions (shares → weight, quota and
// period → cpu.max, memsw → swap beyond memory), what v2 has no file for, and when skiff-oci picks v2
// (a host with no v1 hierarchy and cgroup2 at /sys/fs/cgroup; never the empty v2 tree of a hybrid host).
import { describe, expect, it } from 'vitest';
import { sharesToWeight, v2Root, v2Writes } from '../../src/oci/cgroup-v2.js';
import { cgroupChoice } from '../../src/oci/create.js';
import type { OciConfig } from '../../src/oci/spec.js';

const files = (r: Record<string, unknown>) => v2Writes(r).writes.map((w) => `${w.file}=${w.value}`);

describe('v2Writes', () => {
  it('memory, pids and cpu in v2\'s own files and units', () => {
    expect(files({ memory: { limit: 64 << 20, reservation: 32 << 20, swap: 96 << 20 }, pids: { limit: 20 }, cpu: { shares: 1024, quota: 50000, period: 100000, cpus: '0', mems: '0' } })).toEqual([
      `memory.max=${64 << 20}`, `memory.low=${32 << 20}`, `memory.swap.max=${32 << 20}`,
      'cpu.weight=39', 'cpu.max=50000 100000', 'cpuset.cpus=0', 'cpuset.mems=0', 'pids.max=20',
    ]);
    expect(files({ memory: { limit: -1, swap: -1 }, pids: { limit: 0 }, cpu: { quota: -1 } })).toEqual(['memory.max=max', 'memory.swap.max=max', 'cpu.max=max 100000', 'pids.max=max']);
    expect(files({ cpu: { period: 250000 } })).toEqual(['cpu.max=max 250000']);
  });

  it('runc\'s shares → weight endpoints', () => {
    expect([sharesToWeight(2), sharesToWeight(1024), sharesToWeight(262144)]).toEqual([1, 39, 10000]);
  });

  it('what v2 has no file for is skipped with a reason; a swap below memory is an error', () => {
    const r = v2Writes({ memory: { limit: 1 << 20, kernel: 1 << 20, kernelTCP: 1, swappiness: 10, disableOOMKiller: true }, devices: [{ allow: false, access: 'rwm' }] });
    expect(r.writes.map((w) => w.file)).toEqual(['memory.max']);
    expect(r.skipped.map((s) => s.key)).toEqual(['memory.kernel', 'memory.kernelTCP', 'memory.swappiness', 'memory.disableOOMKiller', 'devices']);
    expect(() => v2Writes({ memory: { limit: 2 << 20, swap: 1 << 20 } })).toThrow(/below memory.limit/);
  });
});

describe('v1 or v2', () => {
  const UNIFIED = '30 1 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n';
  const HYBRID = '30 1 0:26 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n';
  const config = (resources?: Record<string, unknown>, cgroupsPath?: string): OciConfig => ({ ociVersion: '1.0.2', linux: { resources, cgroupsPath } } as OciConfig);

  it('only a cgroup2 mounted at /sys/fs/cgroup counts as v2', () => {
    expect(v2Root(UNIFIED)).toBe('/sys/fs/cgroup');
    expect(v2Root(HYBRID)).toBeUndefined();
  });

  it('no v1 hierarchy and a v2 root: limits and cgroupsPath go to v2; rootless only with a limit', () => {
    expect(cgroupChoice(config({ pids: { limit: 5 } }), 'c1', 0, new Map(), '/sys/fs/cgroup')).toEqual({ rel: '/skiff-oci/c1', resources: { pids: { limit: 5 } }, v2: '/sys/fs/cgroup' });
    expect(cgroupChoice(config(undefined, '/k8s/pod1'), 'c1', 0, new Map(), '/sys/fs/cgroup')?.rel).toBe('/k8s/pod1');
    expect(cgroupChoice(config(), 'c1', 0, new Map(), '/sys/fs/cgroup')).toBeUndefined();
    expect(cgroupChoice(config(undefined, '/k8s/pod1'), 'c1', 1000, new Map(), '/sys/fs/cgroup')).toBeUndefined();
  });

  it('v1 hierarchies win; neither v1 nor v2: a limit is refused', () => {
    expect(cgroupChoice(config({ pids: { limit: 5 } }), 'c1', 0, new Map([['pids', '/sys/fs/cgroup/pids']]), '/sys/fs/cgroup')?.v2).toBeUndefined();
    expect(() => cgroupChoice(config({ pids: { limit: 5 } }), 'c1', 0, new Map(), undefined)).toThrow(/neither cgroup v1 controllers nor a cgroup v2 hierarchy/);
  });
});
