// config.json → launch plan, without a kernel: runc's rootless rules for the id maps, namespaces
// joined by path before the clone, the exec fifo only for create, seccomp placed by no_new_privs,
// and the refusals that must come before anything is started.
import { describe, expect, it } from 'vitest';
import { translate, type TranslateInput } from '../../src/oci/translate.js';
import type { OciConfig } from '../../src/oci/spec.js';

function config(over: Partial<OciConfig> = {}): OciConfig {
  return {
    ociVersion: '1.0.2', root: { path: 'rootfs' },
    process: { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/', env: ['PATH=/bin'] },
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }] },
    ...over,
  };
}

function ops(t: Partial<TranslateInput> & { config: OciConfig }): string[] {
  const { plan } = translate({ bundle: '/b', mode: 'create', fifoPath: '/s/exec.fifo', pauseForHooks: false, euid: 0, trace: false, ...t });
  return plan.ordered().map((s) => `${s.role[0]}:${s.op}${s.args.length ? ' ' + s.args.join('|') : ''}`);
}

describe('config.json → plan', () => {
  it('create: fifo made before the clone, held before pivot, waited on last before exec; the launcher leaves', () => {
    const o = ops({ config: config() });
    expect(o[0]).toBe('p:mkfifo /s/exec.fifo|622');
    expect(o.indexOf('p:wait-ready')).toBeLessThan(o.indexOf('p:detach'));
    expect(o.findIndex((x) => x.startsWith('c:fifo-open'))).toBeLessThan(o.indexOf('c:pivot'));
    expect(o.slice(-2).map((x) => x.split(' ')[0])).toEqual(['c:fifo-wait', 'c:exec']);
    expect(o.find((x) => x.startsWith('c:bind-root'))).toBe('c:bind-root /b/rootfs');
  });

  it('run: no fifo, the launcher supervises', () => {
    const o = ops({ config: config(), mode: 'run', fifoPath: undefined });
    expect(o.some((x) => x.includes('fifo'))).toBe(false);
    expect(o.filter((x) => x.startsWith('p:')).slice(-1)).toEqual(['p:supervise']);
  });

  it('joins namespaces by path (user first) before cloning the new ones', () => {
    const c = config();
    c.linux!.namespaces = [{ type: 'mount' }, { type: 'network', path: '/proc/1/ns/net' }, { type: 'user', path: '/proc/1/ns/user' }];
    const o = ops({ config: c });
    const setns = o.filter((x) => x.startsWith('p:setns'));
    expect(setns).toEqual([`p:setns /proc/1/ns/user|${0x10000000}`, `p:setns /proc/1/ns/net|${0x40000000}`]);
    expect(o.indexOf(setns[1]!)).toBeLessThan(o.findIndex((x) => x.startsWith('p:clone')));
    expect(o.find((x) => x.startsWith('p:clone'))).toBe(`p:clone ${0x20000}|`);
  });

  it('rootless: one own-id mapping is written directly with setgroups denied; ranges go through newuidmap', () => {
    const c = config();
    c.linux!.namespaces!.push({ type: 'user' });
    c.linux!.uidMappings = [{ containerID: 0, hostID: 1234, size: 1 }];
    c.linux!.gidMappings = [{ containerID: 0, hostID: process.getegid!(), size: 1 }];
    const single = ops({ config: c, euid: 1234 });
    expect(single.filter((x) => x.startsWith('p:write-file'))).toEqual(['p:write-file /proc/{pid}/uid_map|0 1234 1\n', 'p:write-file /proc/{pid}/setgroups|deny', `p:write-file /proc/{pid}/gid_map|0 ${process.getegid!()} 1\n`]);
    expect(single.find((x) => x.startsWith('c:user'))).toBe('c:user 0|0|-');
    c.linux!.uidMappings = [{ containerID: 0, hostID: 1234, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }];
    const ranges = ops({ config: c, euid: 1234 });
    expect(ranges.filter((x) => x.startsWith('p:helper'))[0]).toBe('p:helper newuidmap|{pid}|0|1234|1|1|100000|65536');
  });

  it('capabilities: bounding before the uid change, the other four sets after; seccomp last with no_new_privs', () => {
    const c = config();
    c.process!.capabilities = { bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] };
    c.process!.noNewPrivileges = true;
    c.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    const o = ops({ config: c }).map((x) => x.split(' ')[0]);
    expect(o.indexOf('c:cap-bound')).toBeLessThan(o.indexOf('c:user'));
    expect(o.indexOf('c:cap-sets')).toBeGreaterThan(o.indexOf('c:user'));
    expect(o.slice(-3)).toEqual(['c:seccomp', 'c:fifo-wait', 'c:exec']);
    expect(ops({ config: c }).find((x) => x.startsWith('c:cap-bound'))).toBe('c:cap-bound 0,5');
  });

  it('refuses before anything starts: rootless without a user namespace, unknown capability, relative cwd', () => {
    expect(() => ops({ config: config(), euid: 1000 })).toThrow(/rootless containers need a user namespace/);
    const c = config();
    c.process!.capabilities = { bounding: ['CAP_FLY'] };
    expect(() => ops({ config: c })).toThrow(/unknown capability "CAP_FLY"/);
    const d = config();
    d.process!.cwd = 'relative';
    expect(() => ops({ config: d })).toThrow(/not an absolute path/);
  });

  it('no mount namespace: the root is opened, not bound; chroot instead of pivot_root; nothing private-made; rootfsPropagation refused', () => {
    const c = config();
    c.linux!.namespaces = [{ type: 'pid' }, { type: 'uts' }];
    const o = ops({ config: c });
    expect(o).toContain('c:open-root /b/rootfs');
    expect(o).toContain('c:chroot');
    for (const op of ['c:mount-private', 'c:pivot']) expect(o).not.toContain(op);
    expect(o.some((x) => x.startsWith('c:bind-root'))).toBe(false);
    expect(o.indexOf('c:chroot')).toBeLessThan(o.indexOf('c:fifo-wait'));
    // A read-only root needs a mount of its own to remount (made in the caller's namespace, undone by delete).
    c.root!.readonly = true;
    const ro = ops({ config: c });
    expect(ro).toContain('c:bind-root /b/rootfs');
    expect(ro.indexOf(ro.find((x) => x.startsWith('c:remount'))!)).toBeLessThan(ro.indexOf('c:chroot'));
    c.linux!.rootfsPropagation = 'rshared';
    expect(() => ops({ config: c })).toThrow(/rootfsPropagation without a mount namespace/);
  });

  it('a new user namespace whose maps leave out the caller: the child becomes its root after opening the host paths, before any mount', () => {
    const c = config();
    c.linux!.namespaces!.push({ type: 'user' });
    c.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1000 }];
    c.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1000 }];
    c.mounts = [{ destination: '/proc', type: 'proc', source: 'proc' }];
    const o = ops({ config: c });
    const early = o.indexOf('c:user 0|0|');
    expect(early).toBeGreaterThan(o.findIndex((x) => x.startsWith('c:fifo-open')));
    expect(early).toBeLessThan(o.findIndex((x) => x.startsWith('c:mount ')));
    // Container uid 0 unmapped: no such step (setresuid would fail); the process's own user step stays.
    c.linux!.uidMappings = [{ containerID: 1, hostID: 1000, size: 1000 }];
    c.process!.user = { uid: 5, gid: 0 };
    expect(ops({ config: c }).filter((x) => x.startsWith('c:user'))).toEqual(['c:user 5|0|']);
  });
});

