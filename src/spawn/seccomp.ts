// The OCI runtime spec's `linux.seccomp` (config.json) — the one shape every front door hands the launcher:
// run and exec build it from a Docker profile, the OCI runtime reads it from a bundle. Here it is only
// encoded for `skiff-runtime seccomp-bpf`, which compiles it with libseccomp (once, then cached), and
// the compiled program is the argument of the child step `seccomp`, which loads it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../errors.js';
import { nativeBinary } from '../native.js';
import { trace } from '../trace.js';

export type SeccompAction =
  | 'SCMP_ACT_KILL' | 'SCMP_ACT_KILL_PROCESS' | 'SCMP_ACT_KILL_THREAD' | 'SCMP_ACT_TRAP' | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE' | 'SCMP_ACT_ALLOW' | 'SCMP_ACT_LOG';

export type SeccompOperator =
  | 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';

export interface LinuxSeccompArg { index: number; value: number; valueTwo?: number; op: SeccompOperator }

export interface LinuxSyscall { names: string[]; action: SeccompAction; errnoRet?: number; args?: LinuxSeccompArg[] }

export interface LinuxSeccomp {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls?: LinuxSyscall[];
}

export const SECCOMP_ACTIONS: readonly SeccompAction[] = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG',
];
const OPERATORS: readonly SeccompOperator[] = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
const ARCHES = new Set(['SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64']);
const EPERM = 1;

function bad(what: string): never {
  throw new SkiffError('EUSAGE', `invalid seccomp profile: ${what}`, 'fix the profile (the OCI runtime spec\'s linux.seccomp shape) or use --security-opt seccomp=unconfined');
}

const uint = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;
const NAME = /^[a-z0-9_]+$/;

/**
 * The rules as strings for `skiff-runtime seccomp-bpf`: [defaultAction, defaultErrno, arch,arch…, rule…] where each rule is
 * "ACTION ERRNO name,name… [index:OP:value:valueTwo …]" (ERRNO "-" when the action takes none).
 * Conditions on the same argument index are split into separate rules (an OR), as runc and crun do:
 * libseccomp ANDs the conditions of one rule and refuses two on the same argument.
 */
export function seccompStepArgs(s: LinuxSeccomp): string[] {
  const action = (a: unknown): SeccompAction => (SECCOMP_ACTIONS.includes(a as SeccompAction) ? (a as SeccompAction) : bad(`unsupported action ${JSON.stringify(a)}`));
  const errno = (a: SeccompAction, e: unknown): string => {
    if (a !== 'SCMP_ACT_ERRNO' && a !== 'SCMP_ACT_TRACE') return '-';
    if (e === undefined) return String(EPERM);
    return uint(e, 4095) ? String(e) : bad(`errnoRet ${JSON.stringify(e)} is not an errno`);
  };
  const def = action(s.defaultAction);
  const arches = (s.architectures ?? []).map((a) => (ARCHES.has(a) ? a : bad(`unsupported architecture ${a}`)));
  const out = [def, errno(def, s.defaultErrnoRet), arches.join(',')];
  for (const rule of s.syscalls ?? []) {
    const act = action(rule.action);
    if (!Array.isArray(rule.names) || rule.names.length === 0) bad('a rule without syscall names');
    for (const n of rule.names) if (typeof n !== 'string' || !NAME.test(n)) bad(`syscall name ${JSON.stringify(n)}`);
    const conds = (rule.args ?? []).map((c) => {
      if (!uint(c.index, 5)) bad(`argument index ${JSON.stringify(c.index)} (0–5)`);
      if (!OPERATORS.includes(c.op)) bad(`operator ${JSON.stringify(c.op)}`);
      if (!uint(c.value, Number.MAX_SAFE_INTEGER) || !uint(c.valueTwo ?? 0, Number.MAX_SAFE_INTEGER)) bad(`argument value of ${rule.names[0]}`);
      return { index: c.index, text: `${c.index}:${c.op}:${c.value}:${c.valueTwo ?? 0}` };
    });
    const head = `${act} ${errno(act, rule.errnoRet)} ${rule.names.join(',')}`;
    const sameIndex = new Set(conds.map((c) => c.index)).size !== conds.length;
    if (sameIndex) for (const c of conds) out.push(`${head} ${c.text}`);
    else out.push([head, ...conds.map((c) => c.text)].join(' '));
  }
  return out;
}

/**
 * The compiled program (classic BPF, hex) for a filter: compiled by `skiff-runtime seccomp-bpf` with
 * libseccomp once, then read from `cacheDir` (keyed by the rules and the runtime binary). Compiling
 * Docker's profile for x86-64 + x86 + x32 costs 10–20 ms of CPU; loading a compiled program, microseconds.
 * Without `cacheDir` (skiff-oci, which has no private store to keep it in) it is compiled every time.
 */
export function compileSeccomp(s: LinuxSeccomp, cacheDir: string | undefined): string {
  const rules = seccompStepArgs(s);
  const runtime = nativeBinary('skiff-runtime');
  const st = statSync(runtime);
  const key = createHash('sha256').update(`${st.size}:${st.mtimeMs}:${st.ino}\0`).update(rules.join('\0')).digest('hex');
  const file = cacheDir ? join(cacheDir, `${key}.bpf`) : undefined;
  try {
    const cached = file ? readFileSync(file) : undefined;
    if (cached && cached.length > 0 && cached.length % 8 === 0) return cached.toString('hex');
  } catch {
    // not compiled yet
  }
  trace.step('helper', `skiff-runtime seccomp-bpf${file ? ` → ${file}` : ''}`, 'compile the filter once with libseccomp; later launches load the cached program');
  const r = spawnSync(runtime, ['seccomp-bpf'], { input: Buffer.from(rules.join('\0') + '\0'), maxBuffer: 1 << 22 });
  if (r.status !== 0 || !r.stdout?.length) {
    throw new SkiffError('EUSAGE', `the seccomp profile could not be compiled: ${r.stderr?.toString().trim() || r.error?.message || `exit ${r.status}`}`,
      'check the profile\'s syscall names and arguments, or use --security-opt seccomp=unconfined');
  }
  if (!cacheDir || !file) return r.stdout.toString('hex');
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, r.stdout, { mode: 0o600 });
  renameSync(tmp, file);
  return r.stdout.toString('hex');
}
