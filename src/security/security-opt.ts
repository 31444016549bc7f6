// --security-opt as Docker reads it: seccomp=unconfined|PROFILE.json, no-new-privileges[=true|false],
// apparmor=…, label=…. Parsed once at create; the record keeps Docker's HostConfig.SecurityOpt strings
// (a profile file's JSON inline, as the docker CLI sends it), and start and exec read them back.
import { existsSync, readFileSync } from 'node:fs';
import { SkiffError } from '../errors.js';
import { loadSeccompProfile, parseSeccompProfile, type DockerSeccompProfile } from './seccomp-profile.js';

export interface SecurityOptions {
  /** 'default' = Docker's profile; 'unconfined' = no filter; otherwise a profile given by the user. */
  seccomp: 'default' | 'unconfined' | DockerSeccompProfile;
  /** skiff sets no_new_privs unless told no-new-privileges=false. */
  noNewPrivileges: boolean;
}

function usage(opt: string, why: string, hint: string): SkiffError {
  return new SkiffError('EUSAGE', `invalid --security-opt ${JSON.stringify(opt)}: ${why}`, hint);
}

const apparmorEnabled = () => {
  try {
    return readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    return false;
  }
};
const selinuxEnabled = () => existsSync('/sys/fs/selinux/enforce');

/**
 * Flags as typed → the SecurityOpt strings stored in the record. Refuses anything it would not apply.
 * `inlineProfiles`: a `seccomp=` value is the profile's JSON, not a path — what a daemon receives, since
 * the docker CLI reads the file and sends its content (the Engine API's create).
 */
export function parseSecurityOpts(opts: string[], { inlineProfiles = false }: { inlineProfiles?: boolean } = {}): string[] {
  const out: string[] = [];
  for (const opt of opts) {
    // Docker also accepts the old "key:value" spelling.
    const m = /^([a-z-]+)(?:[=:](.*))?$/s.exec(opt);
    const key = m?.[1], value = m?.[2];
    if (key === 'no-new-privileges') {
      if (value !== undefined && !['true', 'false', '1', '0'].includes(value)) throw usage(opt, 'not a boolean', 'use no-new-privileges, no-new-privileges=true or no-new-privileges=false');
      out.push(`no-new-privileges=${value === undefined || value === 'true' || value === '1'}`);
    } else if (key === 'seccomp' && value) {
      if (value === 'unconfined' || value === 'builtin') out.push(`seccomp=${value}`);
      else out.push(`seccomp=${JSON.stringify(inlineProfiles ? parseSeccompProfile(value) : loadSeccompProfile(value))}`);
    } else if (key === 'apparmor' && value) {
      if (value === 'unconfined') out.push(opt);
      else if (!apparmorEnabled()) throw usage(opt, 'AppArmor is not enabled on this host', 'drop the apparmor= option (only apparmor=unconfined is accepted here)');
      else throw usage(opt, 'skiff does not load AppArmor profiles', 'drop the apparmor= option or use apparmor=unconfined');
    } else if (key === 'label' && value) {
      if (value === 'disable') out.push(opt);
      else if (!selinuxEnabled()) throw usage(opt, 'SELinux is not enabled on this host', 'drop the label= option (only label=disable is accepted here)');
      else throw usage(opt, 'skiff does not set SELinux labels', 'drop the label= option or use label=disable');
    } else {
      throw usage(opt, 'unknown option', 'use seccomp=unconfined|PROFILE.json, no-new-privileges[=true|false], apparmor=… or label=…');
    }
  }
  return out;
}

/** The stored SecurityOpt strings → what the launch plan applies. */
export function securityOptions(stored: readonly string[] | null | undefined): SecurityOptions {
  const o: SecurityOptions = { seccomp: 'default', noNewPrivileges: true };
  for (const s of stored ?? []) {
    if (s.startsWith('no-new-privileges=')) o.noNewPrivileges = s.endsWith('=true');
    else if (s === 'seccomp=unconfined') o.seccomp = 'unconfined';
    else if (s === 'seccomp=builtin') o.seccomp = 'default';
    else if (s.startsWith('seccomp=')) o.seccomp = JSON.parse(s.slice('seccomp='.length)) as DockerSeccompProfile;
  }
  return o;
}
