// Every plan whose process enters a container takes the one entry path of src/spawn/entry.ts: the
// launcher is non-dumpable right before the clone, the child closes foreign descriptors first, and the
// plan ends with the same tail of steps for run's init and for exec.
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/spawn/plan.js';
import { buildContainerPlan } from '../../src/spawn/container-plan.js';
import { buildExecPlan } from '../../src/spawn/exec-plan.js';
import { DEFAULT_CAPS } from '../../src/spawn/defaults.js';

const security = { caps: Object.values(DEFAULT_CAPS), seccomp: null, noNewPrivileges: true };

const proc = { args: ['sh'], env: ['PATH=/bin'], cwd: '/w', uid: 1, gid: 2, groups: [3], tty: false, path: '/bin' };
const run = buildContainerPlan({
  id: 'a'.repeat(64), hostname: 'h',
  rootfs: { layersDir: '/l', lowerDirs: ['/l/a'], upperDir: '/u', workDir: '/wk', mountPoint: '/m', volatile: false },
  process: proc, idMap: { uid: '0 0 1\n', gid: '0 0 1\n' }, ttyGroupMapped: false, network: 'private', binds: [],
  waitForGo: false, supervise: { stdin: false, logPath: '/log' }, trace: false, cgroupDir: '/sys/fs/cgroup/x',
  security, privileged: false, readonlyRootfs: false, devices: [],
});
const exec = buildExecPlan({ containerPid: 42, joinNet: true, cgroupDir: '/sys/fs/cgroup/x', process: proc, trace: false, security, supervise: { stdin: false } });

const parentOps = (p: Plan) => p.ordered().filter((s) => s.role === 'parent').map((s) => s.op);
const child = (p: Plan) => p.ordered().filter((s) => s.role === 'child').map((s) => `${s.op} ${s.args.join(' ')}`);

describe('the entry path', () => {
  for (const [name, p] of [['run', run], ['exec', exec]] as const) {
    it(`${name}: the launcher is non-dumpable right before the clone`, () => {
      const o = parentOps(p);
      expect(o[o.indexOf('clone') - 1]).toBe('non-dumpable');
    });
    it(`${name}: the child's first step closes every foreign descriptor`, () => {
      expect(child(p)[0]).toBe('close-fds ');
    });
  }

  it('run and exec end with the same tail', () => {
    const tail = ['setsid ', 'cap-bound 0,1,3,4,5,6,7,8,10,13,18,27,29,31', 'user 1 2 3', 'cap-sets 0,1,3,4,5,6,7,8,10,13,18,27,29,31 0,1,3,4,5,6,7,8,10,13,18,27,29,31  ', 'no-new-privs ', 'chdir /w', 'close-fds ', 'env PATH=/bin', 'exec /bin sh'];
    expect(child(run).slice(-tail.length)).toEqual(tail);
    expect(child(exec).slice(-tail.length)).toEqual(tail);
  });
});
