// What "every capability" means on this kernel, read from the kernel itself (not from skiff's own table),
// so the tests that check --privileged, Privileged and the bounding set have an oracle of their own.
import { readFileSync } from 'node:fs';

/** The mask with every capability up to /proc/sys/kernel/cap_last_cap set, as CapEff/CapBnd show it. */
export function allCapabilitiesMask(): bigint {
  const last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  return (1n << BigInt(last + 1)) - 1n;
}
