import { describe, expect, it } from 'vitest';
import { encodePlan, Plan, stepAt, validatePlan } from '../../src/spawn/plan.js';
import { buildContainerPlan, type ContainerSpec } from '../../src/spawn/container-plan.js';
import { buildExecPlan } from '../../src/spawn/exec-plan.js';
import { CLONE } from '../../src/spawn/namespaces.js';
import { DEFAULT_CAPS } from '../../src/spawn/defaults.js';
import { processSpec, mergeEnv } from '../../src/engine/process-spec.js';

function spec(over: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    id: 'a'.repeat(64), hostname: 'aaaaaaaaaaaa',
    rootfs: { layersDir: '/s/layers', lowerDirs: ['/s/layers/base', '/s/layers/mid', '/s/layers/top'], upperDir: '/s/c/upper', workDir: '/s/c/work', mountPoint: '/s/c/rootfs', volatile: false },
    process: { args: ['/bin/sh', '-c', './cmd.sh'], env: ['PATH=/bin'], cwd: '/diamol', uid: 0, gid: 0, groups: [], tty: false, path: '/bin' },
    idMap: { uid: '0 0 4294967295\n', gid: '0 0 4294967295\n' }, ttyGroupMapped: true, network: 'private', binds: [],
    waitForGo: true, supervise: { stdin: false }, trace: false,
    security: { caps: Object.values(DEFAULT_CAPS), seccomp: null, noNewPrivileges: true }, privileged: false, readonlyRootfs: false, devices: [], ...over,
  };
}

describe('plan wire format', () => {
  it('encodes steps as NUL-separated records, parent steps first, then a child separator', () => {
    const p = new Plan().child('wait-parent', [], 'x').parent('clone', ['1', ''], 'y').child('exec', ['/bin', 'true'], 'z');
    const wire = encodePlan(p).toString().split('\0');
    expect(wire).toEqual(['clone', '2', '1', '', 'child', '0', 'wait-parent', '0', 'exec', '2', '/bin', 'true', '']);
    // Indices match what skiff-runtime reports: parent 0, separator 1, children 2 and 3.
    expect(stepAt(p, 0)?.op).toBe('clone');
    expect(stepAt(p, 3)?.op).toBe('exec');
  });

  it('refuses NUL bytes, wrong arity, misplaced steps and a child that does not end in exec', () => {
    expect(() => validatePlan(new Plan().child('exec', ['/bin', 'a\0b'], ''))).toThrow(/NUL/);
    expect(() => validatePlan(new Plan().child('hostname', [], ''))).toThrow(/takes 1/);
    expect(() => validatePlan(new Plan().child('clone' as never, ['0', ''], ''))).toThrow(/not a child step/);
    expect(() => validatePlan(new Plan().child('hostname', ['x'], ''))).toThrow(/must end with exec/);
  });
});

describe('container plan', () => {
  const ops = (p: Plan) => p.ordered().map((s) => `${s.role}:${s.op}`);

  it('clones all seven namespaces and maps ids before releasing the child', () => {
    const p = buildContainerPlan(spec());
    const clone = p.steps.find((s) => s.op === 'clone')!;
    const all = CLONE.NEWUSER | CLONE.NEWNS | CLONE.NEWPID | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWCGROUP | CLONE.NEWNET;
    expect(Number(clone.args[0])).toBe(all >>> 0);
    const o = ops(p);
    expect(o.indexOf('parent:write-file')).toBeLessThan(o.indexOf('parent:release'));
    // The child mounts while the engine wires the network, and waits again before its program's last steps.
    expect(o.indexOf('parent:release')).toBeLessThan(o.indexOf('parent:wait-go'));
    expect(o.lastIndexOf('parent:release')).toBeGreaterThan(o.indexOf('parent:wait-go'));
    expect(o.filter((x) => x === 'child:wait-parent')).toHaveLength(2);
    expect(o.lastIndexOf('child:wait-parent')).toBeGreaterThan(o.indexOf('child:pivot'));
    expect(o.lastIndexOf('child:wait-parent')).toBeLessThan(o.indexOf('child:exec'));
    const none = ops(buildContainerPlan(spec({ waitForGo: false })));
    expect(none.filter((x) => x === 'child:wait-parent')).toHaveLength(1);
    expect(none).not.toContain('parent:wait-go');
  });

  it('host network keeps the host netns and binds /sys instead of mounting a new one', () => {
    const p = buildContainerPlan(spec({ network: 'host' }));
    expect(Number(p.steps.find((s) => s.op === 'clone')!.args[0]) & CLONE.NEWNET).toBe(0);
    expect(p.steps.some((s) => s.op === 'bind' && s.args[1] === '/sys' && s.args[2] === 'rec,ro')).toBe(true);
  });

  it('stacks layers topmost first, relative to the layer store', () => {
    const ov = buildContainerPlan(spec()).steps.find((s) => s.op === 'overlay')!;
    expect(ov.args).toEqual(['/s/layers', 'top:mid:base', '/s/c/upper', '/s/c/work', '/s/c/rootfs', '']);
    const vol = buildContainerPlan(spec({ rootfs: { ...spec().rootfs, volatile: true } })).steps.find((s) => s.op === 'overlay')!;
    expect(vol.args[5]).toBe('volatile');
  });

  it('mounts before pivot, masks after it, drops privileges last and ends in exec', () => {
    const o = ops(buildContainerPlan(spec()));
    const i = (x: string) => o.indexOf(x);
    expect(i('child:mount-private')).toBeLessThan(i('child:overlay'));
    expect(i('child:overlay')).toBeLessThan(i('child:mount'));
    expect(o.lastIndexOf('child:mount')).toBeLessThan(i('child:pivot'));
    expect(i('child:pivot')).toBeLessThan(i('child:mask'));
    // For every uid: the bounding set shrinks while every capability is held, the ids change (needing
    // CAP_SETUID/CAP_SETGID the container may not keep), then the sets become the container's.
    for (const plan of [o, ops(buildContainerPlan(spec({ process: { ...spec().process, uid: 1000 } })))]) {
      expect(plan.indexOf('child:cap-bound')).toBeLessThan(plan.indexOf('child:user'));
      expect(plan.indexOf('child:user')).toBeLessThan(plan.indexOf('child:cap-sets'));
      expect(plan.indexOf('child:cap-sets')).toBeLessThan(plan.indexOf('child:no-new-privs'));
    }
    expect(i('child:close-fds')).toBeLessThan(i('child:exec'));
    expect(o[o.length - 1]).toBe('child:exec');
  });

  it('masks Docker\'s paths, keeps Docker\'s capability set and the hostname', () => {
    const p = buildContainerPlan(spec());
    const masked = p.steps.filter((s) => s.op === 'mask').map((s) => s.args[0]);
    expect(masked).toEqual(expect.arrayContaining(['/proc/kcore', '/proc/keys', '/sys/firmware']));
    expect(p.steps.find((s) => s.op === 'cap-bound')!.args[0]).toBe('0,1,3,4,5,6,7,8,10,13,18,27,29,31');
    expect(p.steps.find((s) => s.op === 'hostname')!.args).toEqual(['aaaaaaaaaaaa']);
  });

  it('gives devpts gid=5 only when gid 5 is mapped (single-id rootless maps it not)', () => {
    const find = (p: Plan) => p.steps.find((s) => s.op === 'mount' && s.args[2] === 'devpts')!.args[4];
    expect(find(buildContainerPlan(spec()))).toContain('gid=5');
    expect(find(buildContainerPlan(spec({ ttyGroupMapped: false })))).not.toContain('gid=5');
  });

  it('a tty container opens its pty inside and the parent receives it', () => {
    const o = ops(buildContainerPlan(spec({ process: { ...spec().process, tty: true } })));
    expect(o).toContain('child:pty');
    expect(o).toContain('parent:recv-pty');
    expect(o).not.toContain('child:setsid');
  });

  it('gives run and exec their stdio from the supervisor before the clone, never the caller\'s', () => {
    const relay = { stdin: true, stdout: true, stderr: false, raw: true, detachKeys: [16, 17] };
    for (const p of [
      buildContainerPlan(spec({ supervise: { stdin: true, relay } })),
      buildExecPlan({ containerPid: 42, joinNet: true, process: spec().process, supervise: { stdin: true, relay }, trace: false, security: spec().security }),
    ]) {
      const o = ops(p);
      expect(o.indexOf('parent:stdio')).toBeLessThan(o.indexOf('parent:clone'));
      expect(p.steps.find((s) => s.op === 'stdio')!.args).toEqual(['pipe', 'pipes']);
      expect(p.steps.find((s) => s.op === 'supervise')!.args).toEqual(['relay', 'relay-in', 'relay-out', 'raw', 'detach-keys=16,17']);
    }
    const tty = buildContainerPlan(spec({ process: { ...spec().process, tty: true }, supervise: { stdin: false, logPath: '/l' } }));
    expect(tty.steps.find((s) => s.op === 'stdio')!.args).toEqual(['null', 'null']);
    expect(tty.steps.find((s) => s.op === 'supervise')!.args).toEqual(['log=/l']);
  });

  it('exec plans join the namespaces before forking and never mount anything', () => {
    const p = buildExecPlan({ containerPid: 42, joinNet: true, process: spec().process, supervise: { stdin: false }, trace: false, security: spec().security });
    const o = ops(p);
    expect(o.indexOf('parent:join')).toBeLessThan(o.indexOf('parent:clone'));
    expect(p.steps.find((s) => s.op === 'clone')!.args[0]).toBe('0');
    expect(o.some((x) => /mount|overlay|pivot/.test(x))).toBe(false);
    expect(Number(p.steps.find((s) => s.op === 'join')!.args[1]) & CLONE.NEWCGROUP).toBe(CLONE.NEWCGROUP);
    expect(o).not.toContain('child:join-cgroupns');
  });

  it('exec into a container with a cgroup: born in it, the child enters the cgroup namespace right after close-fds', () => {
    const p = buildExecPlan({ containerPid: 42, joinNet: true, cgroupDir: '/sys/fs/cgroup/skiff/x', process: spec().process, supervise: { stdin: false }, trace: false, security: spec().security });
    const o = ops(p);
    // nsdelegate: CLONE_INTO_CGROUP is refused from inside a cgroup namespace the launcher's cgroup lies outside of.
    expect(Number(p.steps.find((s) => s.op === 'join')!.args[1]) & CLONE.NEWCGROUP).toBe(0);
    expect(o.indexOf('parent:open-cgroup')).toBeLessThan(o.indexOf('parent:join'));
    const child = o.filter((x) => x.startsWith('child:'));
    expect(child.slice(0, 2)).toEqual(['child:close-fds', 'child:join-cgroupns']);
    expect(child.indexOf('child:join-cgroupns')).toBeLessThan(child.indexOf('child:cap-bound'));
  });
});

describe('process spec (Docker rules)', () => {
  const img = { Entrypoint: ['/entry'], Cmd: ['default'], Env: ['PATH=/img/bin', 'A=1'], WorkingDir: '/app' };
  const base = { command: [], env: [], tty: false, hostname: 'h' };

  it('Entrypoint + Cmd; a CLI command replaces Cmd; --entrypoint clears Cmd', () => {
    expect(processSpec(img, base).args).toEqual(['/entry', 'default']);
    expect(processSpec(img, { ...base, command: ['x'] }).args).toEqual(['/entry', 'x']);
    expect(processSpec(img, { ...base, entrypoint: '/other' }).args).toEqual(['/other']);
  });

  it('-e overrides the image env, PATH comes from the image, HOSTNAME is set', () => {
    const p = processSpec(img, { ...base, env: ['A=2', 'B=3'] });
    expect(p.env).toEqual(expect.arrayContaining(['A=2', 'B=3', 'PATH=/img/bin', 'HOSTNAME=h']));
    expect(p.path).toBe('/img/bin');
    expect(p.cwd).toBe('/app');
  });

  it('refuses no command and a relative working directory', () => {
    expect(() => processSpec({}, base)).toThrow(/no command/);
    expect(() => processSpec(img, { ...base, workdir: 'rel' })).toThrow(/absolute/);
    expect(mergeEnv(['A=1'], ['A=2'])).toEqual(['A=2']);
  });
});

describe('confinement steps (seccomp last, caps, no_new_privs, rlimit)', () => {
  const ops = (p: Plan) => p.ordered().map((s) => `${s.role}:${s.op}`);
  const filter = { filter: { defaultAction: 'SCMP_ACT_ERRNO' as const, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' as const }] }, program: '0600000000000000' };
  it('loads the filter last before execve when no_new_privs is set, run and exec alike', () => {
    for (const p of [
      buildContainerPlan(spec({ security: { caps: [0], seccomp: filter, noNewPrivileges: true } })),
      buildExecPlan({ containerPid: 42, joinNet: true, process: spec().process, supervise: { stdin: false }, trace: false, security: { caps: [0], seccomp: filter, noNewPrivileges: true } }),
    ]) {
      const o = ops(p);
      expect(o.slice(-5)).toEqual(['child:chdir', 'child:close-fds', 'child:env', 'child:seccomp', 'child:exec']);
      expect(o.indexOf('child:no-new-privs')).toBeLessThan(o.indexOf('child:seccomp'));
      expect(p.steps.find((s) => s.op === 'seccomp')!.args).toEqual(['0600000000000000']);
    }
  });
  it('without no_new_privs loads it while CAP_SYS_ADMIN is still held, before the bounding set shrinks', () => {
    const o = ops(buildContainerPlan(spec({ security: { caps: [0], seccomp: filter, noNewPrivileges: false } })));
    expect(o).not.toContain('child:no-new-privs');
    expect(o.indexOf('child:seccomp')).toBeLessThan(o.indexOf('child:cap-bound'));
  });
  it('no filter when unconfined; RLIMIT_NPROC when asked; --read-only remounts the root before pivot; privileged masks nothing', () => {
    const p = buildContainerPlan(spec({ security: { caps: [0], seccomp: null, noNewPrivileges: true, nproc: 10 }, readonlyRootfs: true, privileged: true,
      devices: [{ source: '/dev/full', target: '/dev/xfull' }] }));
    const o = ops(p);
    expect(o).not.toContain('child:seccomp');
    expect(o).not.toContain('child:mask');
    expect(p.steps.find((s) => s.op === 'rlimit')!.args).toEqual(['6', '10', '10']);
    const ro = p.steps.findIndex((s) => s.op === 'mount' && s.args[1] === '/');
    expect(p.steps[ro]!.args[3]).toBe(String(1 | 32 | 4096));
    expect(ro).toBeLessThan(p.steps.findIndex((s) => s.op === 'pivot'));
    expect(p.steps.some((s) => s.op === 'bind' && s.args[0] === '/dev/full' && s.args[1] === '/dev/xfull')).toBe(true);
  });
});
