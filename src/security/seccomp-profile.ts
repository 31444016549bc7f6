// From a Docker seccomp profile (moby's format: rules with includes/excludes by capability, arch and
// minimum kernel, an archMap) to the OCI runtime spec's linux.seccomp for one container — the same
// selection moby's setupSeccomp makes, so a skiff container refuses what a Docker one refuses.
import { readFileSync } from 'node:fs';
import { arch as nodeArch, release } from 'node:os';
import { SkiffError } from '../errors.js';
import type { LinuxSeccomp, LinuxSyscall, SeccompAction } from '../spawn/seccomp.js';
import defaultProfile from './default-seccomp.json' with { type: 'json' };

interface Filter { caps?: string[]; arches?: string[]; minKernel?: string }
interface DockerSyscall extends Partial<LinuxSyscall> { name?: string; comment?: string; includes?: Filter; excludes?: Filter }
export interface DockerSeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: Array<{ architecture: string; subArchitectures?: string[] | null }>;
  flags?: string[];
  syscalls?: DockerSyscall[] | null;
}

/** What the selection depends on: the container's bounding capabilities, the arch (Go's names, as the profile spells them), the kernel. */
export interface SeccompTarget { caps: string[]; arch: string; kernel: string }

export function hostTarget(caps: string[]): SeccompTarget {
  const arch = nodeArch() === 'x64' ? 'amd64' : nodeArch() === 'arm64' ? 'arm64' : nodeArch();
  return { caps, arch, kernel: release() };
}

const SECCOMP_ARCH: Record<string, string> = { amd64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64' };

function kernelAtLeast(kernel: string, min: string): boolean {
  const parse = (v: string) => {
    const m = /^(\d+)\.(\d+)/.exec(v);
    if (!m) throw new SkiffError('EUSAGE', `invalid seccomp profile: minKernel ${JSON.stringify(v)}`, 'write it as MAJOR.MINOR, e.g. "4.8"');
    return [Number(m[1]), Number(m[2])] as const;
  };
  const [a, b] = parse(kernel), [c, d] = parse(min);
  return a > c || (a === c && b >= d);
}

/** Docker's default profile, selected for these capabilities on this host. */
export function defaultSeccomp(t: SeccompTarget): LinuxSeccomp {
  return selectSeccomp(defaultProfile as DockerSeccompProfile, t);
}

/** A profile file given with --security-opt seccomp=PATH: Docker's format or plain OCI linux.seccomp. */
export function loadSeccompProfile(path: string): DockerSeccompProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SkiffError('EUSAGE', `opening seccomp profile (${path}) failed: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'give the path of a readable JSON profile');
  }
  return parseSeccompProfile(text, path);
}

/**
 * A profile's JSON text, checked: from a file (`where` names it), or inline as the docker CLI sends
 * `--security-opt seccomp=FILE` to a daemon (it reads the file itself and sends `seccomp=<its JSON>`).
 */
export function parseSeccompProfile(text: string, where?: string): DockerSeccompProfile {
  const of = where ? ` ${where}` : '';
  let p: unknown;
  try {
    p = JSON.parse(text);
  } catch (e) {
    throw new SkiffError('EUSAGE', `decoding seccomp profile${of} failed: ${(e as Error).message}`, 'the profile must be JSON');
  }
  if (!p || typeof p !== 'object' || typeof (p as DockerSeccompProfile).defaultAction !== 'string') {
    throw new SkiffError('EUSAGE', `invalid seccomp profile${of}: no defaultAction`, 'see Docker\'s default.json for the format');
  }
  return p as DockerSeccompProfile;
}

export function selectSeccomp(profile: DockerSeccompProfile, t: SeccompTarget): LinuxSeccomp {
  if (profile.architectures?.length && profile.archMap?.length) {
    throw new SkiffError('EUSAGE', 'invalid seccomp profile: both \'architectures\' and \'archMap\' are specified', 'use either architectures or archMap');
  }
  const out: LinuxSeccomp = { defaultAction: profile.defaultAction, syscalls: [] };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.flags?.length) out.flags = profile.flags;
  const native = SECCOMP_ARCH[t.arch];
  if (profile.architectures?.length) out.architectures = profile.architectures;
  else {
    const entry = profile.archMap?.find((a) => a.architecture === native);
    if (entry) out.architectures = [entry.architecture, ...(entry.subArchitectures ?? [])];
  }
  const matches = (f: Filter | undefined, include: boolean): boolean => {
    if (!f) return include;
    // includes: every condition must hold; excludes: any condition that holds excludes.
    const conds: boolean[] = [];
    if (f.arches?.length) conds.push(f.arches.includes(t.arch));
    if (f.caps?.length) conds.push(include ? f.caps.every((c) => t.caps.includes(c)) : f.caps.some((c) => t.caps.includes(c)));
    if (f.minKernel) conds.push(kernelAtLeast(t.kernel, f.minKernel));
    return include ? conds.every(Boolean) : conds.some(Boolean);
  };
  for (const call of profile.syscalls ?? []) {
    if (call.name && call.names?.length) throw new SkiffError('EUSAGE', 'invalid seccomp profile: both \'name\' and \'names\' in one rule', 'use either name or names');
    if (!matches(call.includes, true) || (call.excludes && matches(call.excludes, false))) continue;
    const names = call.name ? [call.name] : call.names ?? [];
    const rule: LinuxSyscall = { names, action: call.action as SeccompAction };
    if (call.errnoRet !== undefined) rule.errnoRet = call.errnoRet;
    if (call.args?.length) rule.args = call.args;
    out.syscalls!.push(rule);
  }
  return out;
}
