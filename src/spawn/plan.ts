// A launch plan is plain data: an ordered list of kernel steps for the native launcher, each with
// the reason it exists (shown by --trace). TypeScript decides everything; skiff-runtime only executes.
// Wire format (fd 3): for each step "<op>\0<nargs>\0<arg>\0…"; a "child" step separates the parent's
// steps from the child's.
import { SkiffError } from '../errors.js';

export type Role = 'parent' | 'child';

export interface Step {
  role: Role;
  op: ParentOp | ChildOp;
  args: string[];
  why: string;
}

export type ParentOp =
  | 'trace' | 'stdio-pipes' | 'open-cgroup' | 'join' | 'clone' | 'write-file' | 'helper' | 'report-pid' | 'wait-go'
  | 'release' | 'recv-pty' | 'wait-exec' | 'detach' | 'supervise'
  // skiff-oci (native-bindings/runtime/oci_ops.c)
  | 'setns' | 'send-pty' | 'wait-ready' | 'mkfifo';

export type ChildOp =
  | 'wait-parent' | 'mount-private' | 'overlay' | 'rootfs' | 'mount' | 'bind' | 'mkdir' | 'symlink'
  | 'pivot' | 'mask' | 'readonly' | 'hostname' | 'setsid' | 'pty' | 'chdir' | 'user' | 'caps'
  | 'no-new-privs' | 'close-fds' | 'env' | 'exec' | 'pause'
  // skiff-oci (native-bindings/runtime/oci_ops.c)
  | 'fifo-open' | 'fifo-wait' | 'mknod' | 'write' | 'rlimit' | 'umask' | 'cap-bound' | 'cap-sets' | 'remount';

// Exact argument counts the native side checks too; -1 = any number (at least `min`).
const ARITY: Record<string, { n: number; min?: number }> = {
  trace: { n: 0 }, 'stdio-pipes': { n: 0 }, 'open-cgroup': { n: 1 }, join: { n: 2 }, clone: { n: 2 }, 'write-file': { n: 2 },
  helper: { n: -1, min: 1 }, 'report-pid': { n: 0 }, 'wait-go': { n: 0 }, release: { n: 0 }, 'recv-pty': { n: 0 },
  'wait-exec': { n: 0 }, detach: { n: 0 }, supervise: { n: -1, min: 0 },
  'wait-parent': { n: 0 }, 'mount-private': { n: 0 }, overlay: { n: 6 }, rootfs: { n: 1 }, mount: { n: 5 },
  bind: { n: 4 }, mkdir: { n: 2 }, symlink: { n: 2 }, pivot: { n: 0 }, mask: { n: 1 }, readonly: { n: 1 },
  hostname: { n: 1 }, setsid: { n: 0 }, pty: { n: 0 }, chdir: { n: 1 }, user: { n: 3 }, caps: { n: 1 },
  'no-new-privs': { n: 0 }, 'close-fds': { n: 0 }, env: { n: -1, min: 0 }, exec: { n: -1, min: 2 }, pause: { n: 0 },
  setns: { n: 2 }, 'send-pty': { n: 1 }, 'wait-ready': { n: 0 }, mkfifo: { n: 2 },
  'fifo-open': { n: 1 }, 'fifo-wait': { n: 0 }, mknod: { n: 7 }, write: { n: 2 }, rlimit: { n: 3 }, umask: { n: 1 },
  'cap-bound': { n: 1 }, 'cap-sets': { n: 4 }, remount: { n: 2 },
};

const PARENT_OPS = new Set<string>(['trace', 'stdio-pipes', 'open-cgroup', 'join', 'clone', 'write-file', 'helper', 'report-pid', 'wait-go', 'release', 'recv-pty', 'wait-exec', 'detach', 'supervise', 'setns', 'send-pty', 'wait-ready', 'mkfifo']);

export class Plan {
  readonly steps: Step[] = [];

  parent(op: ParentOp, args: string[], why: string): this {
    this.steps.push({ role: 'parent', op, args, why });
    return this;
  }

  child(op: ChildOp, args: string[], why: string): this {
    this.steps.push({ role: 'child', op, args, why });
    return this;
  }

  /** Steps in wire order (parent section first), each with the index the runtime reports. */
  ordered(): Array<Step & { idx: number }> {
    const parents = this.steps.filter((s) => s.role === 'parent');
    const children = this.steps.filter((s) => s.role === 'child');
    // Index parent steps 0..p-1, the separator p, children p+1…
    return [
      ...parents.map((s, i) => ({ ...s, idx: i })),
      ...children.map((s, i) => ({ ...s, idx: parents.length + 1 + i })),
    ];
  }
}

export function validatePlan(plan: Plan): void {
  for (const s of plan.steps) {
    const a = ARITY[s.op];
    if (!a) throw new SkiffError('EINTERNAL', `launch plan: unknown step ${s.op}`);
    if ((s.role === 'parent') !== PARENT_OPS.has(s.op)) throw new SkiffError('EINTERNAL', `launch plan: ${s.op} is not a ${s.role} step`);
    if (a.n >= 0 ? s.args.length !== a.n : s.args.length < (a.min ?? 0)) {
      throw new SkiffError('EINTERNAL', `launch plan: ${s.op} takes ${a.n >= 0 ? a.n : `at least ${a.min}`} arguments, got ${s.args.length}`);
    }
    for (const arg of s.args) {
      if (arg.includes('\0')) throw new SkiffError('EUSAGE', `a value for ${s.op} contains a NUL byte`, 'remove the NUL character from the argument, environment variable or path');
    }
  }
  const children = plan.steps.filter((s) => s.role === 'child');
  const last = children[children.length - 1];
  if (children.length && last && last.op !== 'exec' && last.op !== 'pause') throw new SkiffError('EINTERNAL', 'launch plan: the child must end with exec or pause');
}

export function encodePlan(plan: Plan): Buffer {
  validatePlan(plan);
  const parts: string[] = [];
  const push = (op: string, args: string[]) => {
    parts.push(op, String(args.length), ...args);
  };
  const ordered = plan.ordered();
  for (const s of ordered.filter((x) => x.role === 'parent')) push(s.op, s.args);
  push('child', []);
  for (const s of ordered.filter((x) => x.role === 'child')) push(s.op, s.args);
  return Buffer.from(parts.join('\0') + '\0');
}

/** The step a runtime report line names, by role and index. */
export function stepAt(plan: Plan, idx: number): (Step & { idx: number }) | undefined {
  return plan.ordered().find((s) => s.idx === idx);
}
