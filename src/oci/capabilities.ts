// Capability names as config.json spells them (CAP_…) → their numbers in linux/capability.h, so the
// plan can hand the launcher plain numbers for each of the five sets.
import { SkiffError } from '../errors.js';

const NAMES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
];

export const CAP_NUMBERS: ReadonlyMap<string, number> = new Map(NAMES.map((n, i) => [`CAP_${n}`, i]));
export const ALL_CAPS = [...CAP_NUMBERS.keys()];

/** "0,5,7" for a list of names; unknown names are an error, as runc reports them. */
export function capList(names: string[] | undefined): string {
  const nums = new Set<number>();
  for (const n of names ?? []) {
    const v = CAP_NUMBERS.get(n.toUpperCase().startsWith('CAP_') ? n.toUpperCase() : `CAP_${n.toUpperCase()}`);
    if (v === undefined) throw new SkiffError('EUSAGE', `unknown capability "${n}" in config.json`, 'use the names of capabilities(7), e.g. CAP_CHOWN');
    nums.add(v);
  }
  return [...nums].sort((a, b) => a - b).join(',');
}
