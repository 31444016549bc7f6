// A machine made of a dictionary: files, commands on PATH, xattrs. Each test changes what it studies.
import type { Probe, StatInfo } from '../../../src/doctor/types.js';
import type { EngineMode } from '../../../src/state/paths.js';
import type { CgroupCheck } from '../../../src/cgroups/doctor.js';

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
  cgroups: CgroupCheck[];
}

const UNIFIED_FIX = 'boot with systemd.unified_cgroup_hierarchy=1 (GRUB_CMDLINE_LINUX in /etc/default/grub, update-grub, reboot)';
const CONTROLLERS = ['cpu', 'cpuset', 'io', 'memory', 'pids'];

/** What src/cgroups reports on a unified host with everything delegated. */
export function cgroupsUnified(): CgroupCheck[] {
  return [
    { name: 'cgroup v2 mount', ok: true, detail: '/sys/fs/cgroup (unified)' },
    { name: 'cgroup for containers', ok: true, detail: '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/skiff (delegated to this user)' },
    ...CONTROLLERS.map((c) => ({ name: `${c} controller`, ok: true, detail: 'usable' })),
  ];
}

/** What src/cgroups reports on a hybrid host like the project's dev machine. */
export function cgroupsHybrid(): CgroupCheck[] {
  return [
    { name: 'cgroup v2 mount', ok: false, detail: '/sys/fs/cgroup/unified (hybrid)', fix: UNIFIED_FIX },
    { name: 'cgroup for containers', ok: true, detail: '/sys/fs/cgroup/unified/skiff (rootful)' },
    ...CONTROLLERS.map((c) => ({ name: `${c} controller`, ok: false, detail: `not available to skiff: bound to cgroup v1 at /sys/fs/cgroup/${c}`, fix: UNIFIED_FIX })),
  ];
}


/** A healthy Debian 12 box, rootless user alice (uid 1000). */
export function healthy(): FakeMachine {
  return {
    files: {
      '/proc/sys/user/max_user_namespaces': '63000\n',
      '/etc/subuid': 'alice:100000:65536\n',
      '/etc/subgid': 'alice:100000:65536\n',
      '/proc/filesystems': 'nodev\tsysfs\nnodev\toverlay\n',
      '/usr/lib/x86_64-linux-gnu/libnftables.so.1': '',
      '/proc/sys/net/ipv4/ip_unprivileged_port_start': '1024\n',
    },
    dirs: ['/home/alice', '/home', '/'],
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
    cgroups: cgroupsUnified(),
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
    cgroupChecks: () => m.cgroups,
  };
}
