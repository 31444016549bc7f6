// Docker's resource flags → numbers (parseLimits) → cgroup v2 file values (limitFiles). Pure: no I/O,
// so every conversion is unit-tested. Docker's own words are kept in the error messages.
import { availableParallelism } from 'node:os';
import { SkiffError } from '../errors.js';
import type { Controller } from './detect.js';

export interface Limits {
  /** --memory, bytes */
  memory?: number;
  /** --memory-swap, bytes of memory + swap; -1 = unlimited swap */
  memorySwap?: number;
  /** --cpus × 1e9 (Docker's HostConfig.NanoCpus) */
  nanoCpus?: number;
  /** --cpu-shares (cgroup v1 scale, 1024 = default) */
  cpuShares?: number;
  /** --pids-limit; ≤ 0 = unlimited */
  pidsLimit?: number;
  /** --cpuset-cpus, e.g. "0-1" or "0,2" */
  cpusetCpus?: string;
}

/** The flag and controller behind each limit, for error messages and for enabling controllers. */
export const LIMIT_FLAGS: Record<keyof Limits, { flag: string; controller: Controller }> = {
  memory: { flag: '--memory', controller: 'memory' },
  memorySwap: { flag: '--memory-swap', controller: 'memory' },
  nanoCpus: { flag: '--cpus', controller: 'cpu' },
  cpuShares: { flag: '--cpu-shares', controller: 'cpu' },
  pidsLimit: { flag: '--pids-limit', controller: 'pids' },
  cpusetCpus: { flag: '--cpuset-cpus', controller: 'cpuset' },
};

export function requestedLimits(limits: Limits): (keyof Limits)[] {
  return (Object.keys(LIMIT_FLAGS) as (keyof Limits)[]).filter((k) => limits[k] !== undefined);
}

/** Docker's minimum for --memory (it refuses less). */
export const MIN_MEMORY = 6 * 1024 * 1024;
/** cpu.max period Docker/runc use. */
export const CPU_PERIOD_US = 100_000;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** Docker's RAMInBytes: "512m", "1g", "1.5G", "1024", "64kb" — binary multiples. */
export function parseRamSize(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtpb]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) throw usage(flag, text, `invalid size: '${text}'`);
  const n = Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
  if (!Number.isSafeInteger(n)) throw usage(flag, text, `invalid size: '${text}'`);
  return n;
}

function usage(flag: string, value: string, why: string): SkiffError {
  return new SkiffError('EUSAGE', `invalid argument "${value}" for "${flag}" flag: ${why}`, `see 'skiff run --help'`);
}

function pick(flags: Record<string, string | undefined>, kebab: string): string | undefined {
  const camel = kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const v = flags[kebab] ?? flags[camel];
  return v === undefined || v === '' ? undefined : v;
}

function parseInteger(text: string, flag: string): number {
  if (!/^\s*-?\d+\s*$/.test(text)) throw usage(flag, text, 'strconv.ParseInt: parsing ' + JSON.stringify(text) + ': invalid syntax');
  return Number(text);
}

export function parseCpusetList(text: string, flag = '--cpuset-cpus'): string {
  const t = text.replace(/\s+/g, '');
  const ok = /^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(t) && t.split(',').every((r) => {
    const [a, b] = r.split('-').map(Number);
    return b === undefined || a! <= b;
  });
  if (!ok) throw new SkiffError('EUSAGE', `invalid value ${JSON.stringify(text)} for cpuset cpus`, `${flag} takes a list such as 0-1 or 0,2`);
  return t;
}

/**
 * Flags as the CLI received them (kebab-case or commander's camelCase keys) → Limits.
 * Throws EUSAGE with Docker's wording for anything Docker would refuse.
 */
export function parseLimits(flags: Record<string, string | undefined>, cpuCount = availableParallelism()): Limits {
  const limits: Limits = {};
  const mem = pick(flags, 'memory') ?? flags['m'];
  if (mem !== undefined) {
    limits.memory = parseRamSize(mem, '-m, --memory');
    if (limits.memory === 0) delete limits.memory; // Docker: 0 = unlimited
    else if (limits.memory < MIN_MEMORY) throw new SkiffError('EUSAGE', 'Minimum memory limit allowed is 6MB', 'give --memory 6m or more');
  }
  const swap = pick(flags, 'memory-swap');
  if (swap !== undefined) {
    limits.memorySwap = swap.trim() === '-1' ? -1 : parseRamSize(swap, '--memory-swap');
    if (limits.memorySwap === 0) delete limits.memorySwap;
    else if (limits.memory === undefined) {
      throw new SkiffError('EUSAGE', 'You should always set the Memory limit when using Memoryswap limit', 'add --memory, e.g. --memory 512m --memory-swap 1g');
    } else if (limits.memorySwap !== -1 && limits.memorySwap < limits.memory) {
      throw new SkiffError('EUSAGE', 'Minimum memoryswap limit should be larger than memory limit', '--memory-swap is memory plus swap: give at least the --memory value, or -1 for unlimited swap');
    }
  }
  const cpus = pick(flags, 'cpus');
  if (cpus !== undefined) {
    if (!/^\s*\d*\.?\d+\s*$/.test(cpus)) throw usage('--cpus', cpus, 'failed to parse ' + cpus + ' as a rational number');
    const nano = Math.round(Number(cpus) * 1e9);
    if (nano !== 0) {
      if (nano < 0.01e9 || nano > cpuCount * 1e9) {
        throw new SkiffError('EUSAGE', `Range of CPUs is from 0.01 to ${cpuCount.toFixed(2)}, as there are only ${cpuCount} CPUs available`, 'give a smaller --cpus');
      }
      limits.nanoCpus = nano;
    }
  }
  const shares = pick(flags, 'cpu-shares') ?? flags['c'];
  if (shares !== undefined) {
    const n = parseInteger(shares, '-c, --cpu-shares');
    if (n < 0) throw usage('-c, --cpu-shares', shares, 'must be 0 or more');
    if (n !== 0) limits.cpuShares = n;
  }
  const pids = pick(flags, 'pids-limit');
  if (pids !== undefined) limits.pidsLimit = parseInteger(pids, '--pids-limit');
  const cpuset = pick(flags, 'cpuset-cpus');
  if (cpuset !== undefined) limits.cpusetCpus = parseCpusetList(cpuset);
  return limits;
}

/**
 * cgroup v1 shares [2, 262144] → cgroup v2 weight [1, 10000], as runc ≥ 1.3.2 / crun ≥ 1.23 and
 * opencontainers/cgroups convert it: a quadratic in log2(shares) chosen so that Docker's default
 * 1024 lands on v2's default 100 (the older linear formula, 1 + (shares-2)·9999/262142, gave 39).
 */
export function cpuSharesToWeight(shares: number): number {
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  return Math.ceil(10 ** ((l * l + 125 * l) / 612 - 7 / 34));
}

export interface LimitFile {
  file: string;
  value: string;
  why: string;
  flag: string;
}

/** Limits → the cgroup v2 files and values to write, in a safe order. */
export function limitFiles(limits: Limits): LimitFile[] {
  const out: LimitFile[] = [];
  if (limits.cpusetCpus !== undefined) {
    out.push({ file: 'cpuset.cpus', value: limits.cpusetCpus, flag: '--cpuset-cpus', why: '--cpuset-cpus: the CPUs the container may run on' });
  }
  if (limits.nanoCpus !== undefined) {
    const quota = Math.max(1000, Math.round((limits.nanoCpus * CPU_PERIOD_US) / 1e9));
    out.push({ file: 'cpu.max', value: `${quota} ${CPU_PERIOD_US}`, flag: '--cpus', why: `--cpus: ${quota}µs of CPU time per ${CPU_PERIOD_US}µs period` });
  }
  if (limits.cpuShares !== undefined) {
    const w = cpuSharesToWeight(limits.cpuShares);
    out.push({ file: 'cpu.weight', value: String(w), flag: '--cpu-shares', why: `--cpu-shares ${limits.cpuShares} → weight ${w} (runc/crun conversion; 1024 → 100)` });
  }
  if (limits.memory !== undefined) {
    out.push({ file: 'memory.max', value: String(limits.memory), flag: '--memory', why: '--memory: above this the kernel reclaims, then OOM-kills inside the container' });
    // Docker: --memory-swap is memory+swap; unset means "as much swap as memory"; -1 unlimited.
    const swap = limits.memorySwap === undefined ? limits.memory : limits.memorySwap === -1 ? 'max' : limits.memorySwap - limits.memory;
    out.push({ file: 'memory.swap.max', value: String(swap), flag: '--memory-swap', why: '--memory-swap minus --memory: the swap the container may use' });
  }
  if (limits.pidsLimit !== undefined) {
    const v = limits.pidsLimit > 0 ? String(limits.pidsLimit) : 'max';
    out.push({ file: 'pids.max', value: v, flag: '--pids-limit', why: '--pids-limit: fork/clone fail with EAGAIN beyond this many tasks' });
  }
  return out;
}
