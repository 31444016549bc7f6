// Which capabilities a container keeps: Docker's default set tweaked by --cap-add/--cap-drop, or all of
// them for --privileged — moby's TweakCapabilities semantics, so the same flags give the same set.
import { readFileSync } from 'node:fs';
import { SkiffError } from '../errors.js';
import { DEFAULT_CAPS } from '../spawn/defaults.js';

/** Every capability by number (linux/capability.h). */
export const CAPABILITIES: Readonly<Record<string, number>> = {
  CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_DAC_READ_SEARCH: 2, CAP_FOWNER: 3, CAP_FSETID: 4, CAP_KILL: 5, CAP_SETGID: 6,
  CAP_SETUID: 7, CAP_SETPCAP: 8, CAP_LINUX_IMMUTABLE: 9, CAP_NET_BIND_SERVICE: 10, CAP_NET_BROADCAST: 11, CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13, CAP_IPC_LOCK: 14, CAP_IPC_OWNER: 15, CAP_SYS_MODULE: 16, CAP_SYS_RAWIO: 17, CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19, CAP_SYS_PACCT: 20, CAP_SYS_ADMIN: 21, CAP_SYS_BOOT: 22, CAP_SYS_NICE: 23, CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25, CAP_SYS_TTY_CONFIG: 26, CAP_MKNOD: 27, CAP_LEASE: 28, CAP_AUDIT_WRITE: 29, CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31, CAP_MAC_OVERRIDE: 32, CAP_MAC_ADMIN: 33, CAP_SYSLOG: 34, CAP_WAKE_ALARM: 35, CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37, CAP_PERFMON: 38, CAP_BPF: 39, CAP_CHECKPOINT_RESTORE: 40,
};

let lastCap: number | undefined;
/** The capabilities this kernel knows (Docker's "all" is what the host supports, not what the header lists). */
export function allCapabilities(): string[] {
  if (lastCap === undefined) {
    try {
      lastCap = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
    } catch {
      lastCap = 40;
    }
  }
  const last = lastCap;
  return Object.entries(CAPABILITIES).filter(([, n]) => n <= last).map(([name]) => name);
}

/** "net_admin", "NET_ADMIN", "CAP_NET_ADMIN" → "CAP_NET_ADMIN"; "all" → "ALL"; anything else is an error. */
export function normalizeCapability(c: string): string {
  const up = c.trim().toUpperCase();
  if (up === 'ALL') return 'ALL';
  const name = up.startsWith('CAP_') ? up : `CAP_${up}`;
  if (!(name in CAPABILITIES)) {
    throw new SkiffError('EUSAGE', `unknown capability: "${name}"`, 'use a name from capabilities(7), with or without CAP_, or ALL');
  }
  if (!allCapabilities().includes(name)) {
    throw new SkiffError('EUSAGE', `capability not supported by your kernel: "${name}"`, 'drop it from --cap-add/--cap-drop');
  }
  return name;
}

export const DEFAULT_CAPABILITY_NAMES: readonly string[] = Object.keys(DEFAULT_CAPS);

/** The container's capability set, sorted by number. */
export function effectiveCapabilities(add: string[], drop: string[], privileged: boolean): string[] {
  const adds = add.map(normalizeCapability);
  const drops = drop.map(normalizeCapability);
  let caps: string[];
  if (privileged) caps = allCapabilities();
  else if (adds.includes('ALL')) caps = allCapabilities().filter((c) => !drops.includes(c));
  else if (drops.includes('ALL')) caps = adds;
  else caps = [...DEFAULT_CAPABILITY_NAMES.filter((c) => !drops.includes(c)), ...adds];
  return [...new Set(caps)].sort((a, b) => CAPABILITIES[a]! - CAPABILITIES[b]!);
}

export function capabilityNumbers(names: string[]): number[] {
  return names.map((n) => CAPABILITIES[n]!).sort((a, b) => a - b);
}
