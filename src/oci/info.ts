// The read-only verbs: `list`, `ps`, `features`, `spec` — what runc prints, in runc's shapes, so
// containerd (ps --format json) and people (list, spec) get what they expect.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SkiffError } from '../errors.js';
import { ALL_CAPS } from './capabilities.js';
import { containerPids } from './lifecycle.js';
import { parseMountOptions, PROPAGATION } from './mount-options.js';
import type { OciStore } from './state.js';
import { OCI_VERSION, type OciConfig } from './spec.js';
import { NS_FLAGS } from './translate.js';

export function list(store: OciStore, format: string, quiet: boolean): string {
  const rows = store.ids().map((id) => {
    const r = store.read(id);
    return { id, pid: r.pid, status: store.status(r), bundle: r.bundle, created: r.created, owner: String(r.owner) };
  });
  if (quiet) return rows.map((r) => r.id).join('\n') + (rows.length ? '\n' : '');
  if (format === 'json') return JSON.stringify(rows.map((r) => ({ ociVersion: OCI_VERSION, ...r, pid: r.status === 'stopped' ? 0 : r.pid, rootfs: '' }))) + '\n';
  const table = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...rows.map((r) => [r.id, String(r.status === 'stopped' ? 0 : r.pid), r.status, r.bundle, r.created, r.owner])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('')).join('\n') + '\n';
}

export function ps(store: OciStore, id: string, format: string, psArgs: string[]): string {
  const r = store.read(id);
  const pids = store.status(r) === 'stopped' ? [] : containerPids(r);
  if (format === 'json') return JSON.stringify(pids) + '\n';
  const out = spawnSync('ps', [...(psArgs.length ? psArgs : ['-ef'])], { encoding: 'utf8' });
  if (out.status !== 0) throw new SkiffError('EUSAGE', `ps failed: ${out.stderr.trim()}`, 'check the ps arguments');
  const lines = out.stdout.split('\n');
  const header = lines[0] ?? '';
  const pidCol = header.trim().split(/\s+/).indexOf('PID');
  const keep = new Set(pids.map(String));
  return [header, ...lines.slice(1).filter((l) => keep.has(l.trim().split(/\s+/)[pidCol] ?? ''))].join('\n') + '\n';
}

export function features(): string {
  const opts = ['ro', 'rw', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'sync', 'async', 'mand', 'nomand', 'dirsync',
    'noatime', 'atime', 'nodiratime', 'diratime', 'relatime', 'norelatime', 'strictatime', 'nostrictatime', 'bind', 'rbind',
    ...Object.keys(PROPAGATION)];
  void parseMountOptions;
  return JSON.stringify({
    ociVersionMin: '1.0.0', ociVersionMax: OCI_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: opts,
    linux: {
      namespaces: Object.keys(NS_FLAGS), capabilities: ALL_CAPS,
      cgroup: { v1: true, v2: false, systemd: false, systemdUser: false },
      seccomp: { enabled: false }, apparmor: { enabled: false }, selinux: { enabled: false },
    },
    annotations: { 'org.opencontainers.runtime-spec.features': 'skiff-oci' },
  }, null, 2) + '\n';
}

const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

/** runc's `spec` template: a busybox-sized sh in ./rootfs, with --rootless the user namespace it needs. */
export function spec(bundle: string, rootless: boolean): void {
  const path = resolve(bundle, 'config.json');
  if (existsSync(path)) throw new SkiffError('ENAMEINUSE', `${path} already exists`, 'remove it first');
  const uid = process.geteuid?.() ?? 0;
  const gid = process.getegid?.() ?? 0;
  const c: OciConfig = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: true, user: { uid: 0, gid: 0 }, args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'], cwd: '/',
      capabilities: { bounding: DEFAULT_CAPS, effective: DEFAULT_CAPS, permitted: DEFAULT_CAPS, ambient: DEFAULT_CAPS },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }], noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'skiff',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', ...(rootless ? [] : ['gid=5'])] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      rootless ? { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
        : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      ...(rootless ? { uidMappings: [{ containerID: 0, hostID: uid, size: 1 }], gidMappings: [{ containerID: 0, hostID: gid, size: 1 }] } : {}),
      namespaces: [{ type: 'pid' }, ...(rootless ? [] : [{ type: 'network' }]), { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, ...(rootless ? [{ type: 'user' }] : [])],
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
  writeFileSync(path, JSON.stringify(c, null, 2) + '\n');
}
