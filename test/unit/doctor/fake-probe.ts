// A machine made of a dictionary: files, commands on PATH, xattrs. Each test changes what it studies.
import type { Probe, StatInfo } from '../../../src/doctor/types.js';
import type { EngineMode } from '../../../src/state/paths.js';

export interface FakeMachine {
  files: Record<string, string>;
  dirs: string[];
  commands: Record<string, { mode: number; uid: number; caps?: boolean }>;
  kernel: string;
  node: string;
  user: { uid: number; name: string | undefined; viaSudo: boolean };
  mode: EngineMode;
  store: string;
  writable: string[];
  free: number | undefined;
  native: { mode: number } | undefined;
}

export const UNIFIED_MOUNTS = 'cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n';
export const HYBRID_MOUNTS = [
  'tmpfs /sys/fs/cgroup tmpfs rw 0 0',
  'cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0',
  'cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0',
].join('\n');

/** A healthy Debian 12 box, rootless user alice (uid 1000). */
export function healthy(): FakeMachine {
  return {
    files: {
      '/proc/sys/user/max_user_namespaces': '63000\n',
      '/etc/subuid': 'alice:100000:65536\n',
      '/etc/subgid': 'alice:100000:65536\n',
      '/proc/filesystems': 'nodev\tsysfs\nnodev\toverlay\n',
      '/proc/self/mounts': UNIFIED_MOUNTS,
      '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc\n',
      '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers': 'cpuset cpu io memory pids\n',
      '/usr/lib/x86_64-linux-gnu/libnftables.so.1': '',
      '/proc/sys/net/ipv4/ip_unprivileged_port_start': '1024\n',
    },
    dirs: ['/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service', '/home/alice', '/home', '/'],
    commands: {
      newuidmap: { mode: 0o104755, uid: 0 },
      newgidmap: { mode: 0o104755, uid: 0 },
      pasta: { mode: 0o100755, uid: 0 },
    },
    kernel: '6.1.0-27-amd64',
    node: '20.19.0',
    user: { uid: 1000, name: 'alice', viaSudo: false },
    mode: 'rootless',
    store: '/home/alice/.local/share/skiff',
    writable: ['/home/alice'],
    free: 50 * 1024 ** 3,
    native: { mode: 0o100755 },
  };
}

export function fakeProbe(m: FakeMachine): Probe {
  const NATIVE = '/opt/skiff/native-bindings/build/skiff-runtime';
  const cmdPath = (c: string) => `/usr/bin/${c}`;
  return {
    readFile: (p) => m.files[p],
    exists: (p) => p in m.files || m.dirs.includes(p) || (p === NATIVE && !!m.native),
    stat(p): StatInfo | undefined {
      if (p === NATIVE) return m.native ? { mode: m.native.mode, uid: 0, isFile: true, isDirectory: false } : undefined;
      const c = Object.entries(m.commands).find(([name]) => cmdPath(name) === p);
      if (c) return { mode: c[1].mode, uid: c[1].uid, isFile: true, isDirectory: false };
      return undefined;
    },
    which: (c) => (c in m.commands ? cmdPath(c) : undefined),
    getxattr: (p, name) => {
      const c = Object.entries(m.commands).find(([n]) => cmdPath(n) === p);
      return c?.[1].caps && name === 'security.capability' ? Buffer.from([1]) : undefined;
    },
    kernelRelease: () => m.kernel,
    nodeVersion: () => m.node,
    invokingUser: () => m.user,
    mode: () => m.mode,
    storeDir: () => m.store,
    writable: (d) => m.writable.includes(d),
    freeBytes: () => m.free,
    nativeRuntime: () => NATIVE,
  };
}
