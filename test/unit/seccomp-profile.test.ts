// Docker's default seccomp profile selected for a container's capabilities and arch, the OCI shape it
// becomes, and that shape's encoding as the launcher's `seccomp` step.
import { describe, expect, it } from 'vitest';
import { defaultSeccomp, selectSeccomp, type DockerSeccompProfile } from '../../src/security/seccomp-profile.js';
import { effectiveCapabilities, normalizeCapability } from '../../src/security/capabilities.js';
import { parseSecurityOpts, securityOptions } from '../../src/security/security-opt.js';
import { parseDevice } from '../../src/security/devices.js';
import { seccompStepArgs, type LinuxSeccomp } from '../../src/spawn/seccomp.js';
import { processSecurity } from '../../src/security/index.js';

const DEFAULT = effectiveCapabilities([], [], false);
const allowed = (s: LinuxSeccomp) => new Set((s.syscalls ?? []).filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));

describe('Docker\'s default profile, selected', () => {
  it('refuses what Docker refuses for its default capabilities on x86-64', () => {
    const s = defaultSeccomp({ caps: DEFAULT, arch: 'amd64', kernel: '6.18.0' });
    expect(s.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(s.defaultErrnoRet).toBe(1);
    expect(s.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const ok = allowed(s);
    for (const n of ['read', 'execve', 'close_range', 'arch_prctl', 'ptrace', 'chroot']) expect(ok.has(n), n).toBe(true);
    for (const n of ['unshare', 'mount', 'setns', 'bpf', 'keyctl', 'add_key', 'perf_event_open', 'userfaultfd', 'io_uring_setup', 'arm_fadvise64_64', 'reboot']) {
      expect(ok.has(n), n).toBe(false);
    }
    // clone only without namespace flags; clone3 answers ENOSYS so libcs fall back to clone.
    expect(s.syscalls).toContainEqual({ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }] });
    expect(s.syscalls).toContainEqual({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
  });

  it('follows the capabilities (--cap-add SYS_ADMIN allows unshare and mount; dropping SYS_CHROOT removes chroot)', () => {
    const admin = allowed(defaultSeccomp({ caps: effectiveCapabilities(['sys_admin'], [], false), arch: 'amd64', kernel: '6.18' }));
    for (const n of ['unshare', 'mount', 'setns', 'bpf', 'clone3']) expect(admin.has(n), n).toBe(true);
    const s = defaultSeccomp({ caps: effectiveCapabilities(['SYS_ADMIN'], [], false), arch: 'amd64', kernel: '6.18' });
    expect(s.syscalls!.some((r) => r.names.includes('clone3') && r.action === 'SCMP_ACT_ERRNO')).toBe(false);
    expect(allowed(defaultSeccomp({ caps: effectiveCapabilities([], ['CAP_SYS_CHROOT'], false), arch: 'amd64', kernel: '6.18' })).has('chroot')).toBe(false);
  });

  it('selects by arch (aarch64) and by minimum kernel', () => {
    const arm = defaultSeccomp({ caps: DEFAULT, arch: 'arm64', kernel: '6.1' });
    expect(arm.architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(allowed(arm).has('arm_fadvise64_64')).toBe(true);
    expect(allowed(arm).has('arch_prctl')).toBe(false);
    expect(allowed(defaultSeccomp({ caps: DEFAULT, arch: 'amd64', kernel: '4.4.0' })).has('ptrace')).toBe(false);
  });

  it('reads a user profile with architectures and single names, and refuses archMap with architectures', () => {
    const p: DockerSeccompProfile = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ name: 'mkdir', action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] };
    expect(selectSeccomp(p, { caps: DEFAULT, arch: 'amd64', kernel: '6.18' })).toEqual({
      defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
    });
    expect(() => selectSeccomp({ ...p, archMap: [{ architecture: 'SCMP_ARCH_X86_64' }] }, { caps: [], arch: 'amd64', kernel: '6.18' })).toThrow(/both/);
  });
});

describe('the seccomp step\'s arguments', () => {
  it('encodes default, arches and one line per rule; conditions on one argument become separate rules', () => {
    const args = seccompStepArgs({
      defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 2, op: 'SCMP_CMP_EQ' }] },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }, { index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
        { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      ],
    });
    expect(args).toEqual([
      'SCMP_ACT_ERRNO', '1', 'SCMP_ARCH_X86_64',
      'SCMP_ACT_ALLOW - read,write',
      'SCMP_ACT_ALLOW - socket 0:SCMP_CMP_EQ:1:0 1:SCMP_CMP_EQ:2:0',
      'SCMP_ACT_ALLOW - personality 0:SCMP_CMP_EQ:0:0',
      'SCMP_ACT_ALLOW - personality 0:SCMP_CMP_EQ:8:0',
      'SCMP_ACT_ERRNO 38 clone3',
    ]);
  });

  it('refuses what it cannot express (unknown action, arch, operator, bad names)', () => {
    expect(() => seccompStepArgs({ defaultAction: 'SCMP_ACT_NOTIFY' as never })).toThrow(/unsupported action/);
    expect(() => seccompStepArgs({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_S390X'] })).toThrow(/architecture/);
    expect(() => seccompStepArgs({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x y'], action: 'SCMP_ACT_ERRNO' }] })).toThrow(/syscall name/);
    expect(() => seccompStepArgs({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] })).toThrow(/index/);
  });
});

describe('capabilities (Docker\'s TweakCapabilities)', () => {
  it('normalizes names with or without CAP_ and refuses unknown ones', () => {
    expect(normalizeCapability('net_admin')).toBe('CAP_NET_ADMIN');
    expect(normalizeCapability('CAP_SYS_TIME')).toBe('CAP_SYS_TIME');
    expect(normalizeCapability('all')).toBe('ALL');
    expect(() => normalizeCapability('FLY')).toThrow(/unknown capability: "CAP_FLY"/);
  });
  it('drops, adds, ALL and privileged', () => {
    expect(DEFAULT).toHaveLength(14);
    expect(effectiveCapabilities([], ['NET_RAW'], false)).not.toContain('CAP_NET_RAW');
    expect(effectiveCapabilities(['chown'], ['ALL'], false)).toEqual(['CAP_CHOWN']);
    const all = effectiveCapabilities(['ALL'], ['SYS_ADMIN'], false);
    expect(all).toContain('CAP_SYS_MODULE');
    expect(all).not.toContain('CAP_SYS_ADMIN');
    expect(effectiveCapabilities([], ['ALL'], true)).toContain('CAP_SYS_ADMIN');
  });
});

describe('--security-opt and --device', () => {
  it('parses Docker\'s spellings and keeps what start needs', () => {
    expect(parseSecurityOpts(['no-new-privileges', 'seccomp=unconfined'])).toEqual(['no-new-privileges=true', 'seccomp=unconfined']);
    expect(parseSecurityOpts(['no-new-privileges:false'])).toEqual(['no-new-privileges=false']);
    expect(securityOptions(['no-new-privileges=false', 'seccomp=unconfined'])).toEqual({ seccomp: 'unconfined', noNewPrivileges: false });
    expect(securityOptions(null)).toEqual({ seccomp: 'default', noNewPrivileges: true });
    expect(() => parseSecurityOpts(['no-new-privileges=maybe'])).toThrow(/not a boolean/);
    expect(() => parseSecurityOpts(['seccomp=/nonexistent.json'])).toThrow(/opening seccomp profile/);
    expect(() => parseSecurityOpts(['apparmor=docker-default'])).toThrow(/AppArmor is not enabled/);
    expect(() => parseSecurityOpts(['label=type:svirt_t'])).toThrow(/SELinux is not enabled/);
    expect(() => parseSecurityOpts(['bogus'])).toThrow(/unknown option/);
  });
  it('privileged and unconfined load no filter; the default loads Docker\'s', () => {
    expect(processSecurity({ Privileged: true }).seccomp).toBeNull();
    expect(processSecurity({ SecurityOpt: ['seccomp=unconfined'] }).seccomp).toBeNull();
    expect(processSecurity({}).seccomp?.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(processSecurity({ CapDrop: ['ALL'] }).caps).toEqual([]);
  });
  it('parses HOST[:CONTAINER[:PERMS]] and refuses what is not a device', () => {
    expect(parseDevice('/dev/full')).toEqual({ PathOnHost: '/dev/full', PathInContainer: '/dev/full', CgroupPermissions: 'rwm' });
    expect(parseDevice('/dev/full:/dev/xfull:r')).toEqual({ PathOnHost: '/dev/full', PathInContainer: '/dev/xfull', CgroupPermissions: 'r' });
    expect(parseDevice('/dev/full:rw')).toEqual({ PathOnHost: '/dev/full', PathInContainer: '/dev/full', CgroupPermissions: 'rw' });
    expect(() => parseDevice('/etc/passwd')).toThrow(/not a device node/);
    expect(() => parseDevice('/dev/nope')).toThrow(/no such device/);
    expect(() => parseDevice('/dev/full:/dev/x:rwx')).toThrow(/permissions/);
    expect(() => parseDevice('/dev/full:/../x')).toThrow(/container path/);
  });
});
