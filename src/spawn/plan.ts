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

// The op table, mirror of native-bindings/runtime/op_table.c (test/unit/op-table.test.ts compares the two):
// role and exact argument count, or n = -1 with a minimum. Adding an op is one line here.
export const OPS = {
  trace: { role: 'parent', n: 0 },
  'non-dumpable': { role: 'parent', n: 0 },
  stdio: { role: 'parent', n: 2 },
  'open-cgroup': { role: 'parent', n: 1 },
  join: { role: 'parent', n: 2 },
  clone: { role: 'parent', n: 2 },
  'write-file': { role: 'parent', n: 2 },
  helper: { role: 'parent', n: -1, min: 1 },
  'report-pid': { role: 'parent', n: 0 },
  'wait-go': { role: 'parent', n: 0 },
  release: { role: 'parent', n: 0 },
  'recv-pty': { role: 'parent', n: 0 },
  'wait-exec': { role: 'parent', n: 0 },
  detach: { role: 'parent', n: 0 },
  supervise: { role: 'parent', n: -1, min: 0 },
  // skiff-oci (native-bindings/runtime/oci_ops.c)
  mkfifo: { role: 'parent', n: 2 },
  setns: { role: 'parent', n: 2 },
  'send-pty': { role: 'parent', n: 1 },
  'wait-ready': { role: 'parent', n: 0 },
  'wait-parent': { role: 'child', n: 0 },
  'mount-private': { role: 'child', n: 0 },
  overlay: { role: 'child', n: 6 },
  mount: { role: 'child', n: 5 },
  bind: { role: 'child', n: 4 },
  mkdir: { role: 'child', n: 2 },
  symlink: { role: 'child', n: 2 },
  pivot: { role: 'child', n: 0 },
  mask: { role: 'child', n: 1 },
  readonly: { role: 'child', n: 1 },
  hostname: { role: 'child', n: 1 },
  domainname: { role: 'child', n: 1 },
  setsid: { role: 'child', n: 0 },
  pty: { role: 'child', n: 0 },
  chdir: { role: 'child', n: 1 },
  user: { role: 'child', n: 3 },
  'no-new-privs': { role: 'child', n: 0 },
  'close-fds': { role: 'child', n: 0 },
  'join-cgroupns': { role: 'child', n: 0 },
  env: { role: 'child', n: -1, min: 0 },
  rlimit: { role: 'child', n: 3 },
  seccomp: { role: 'child', n: 1 },
  exec: { role: 'child', n: -1, min: 2 },
  pause: { role: 'child', n: 0 },
  'bind-root': { role: 'child', n: 1 },
  'fifo-open': { role: 'child', n: 1 },
  'fifo-wait': { role: 'child', n: 0 },
  mknod: { role: 'child', n: 7 },
  write: { role: 'child', n: 2 },
  umask: { role: 'child', n: 1 },
  'cap-bound': { role: 'child', n: 1 },
  'cap-sets': { role: 'child', n: 4 },
  remount: { role: 'child', n: 2 },
  'open-root': { role: 'child', n: 1 },
  chroot: { role: 'child', n: 0 },
} as const satisfies Record<string, { role: Role; n: number; min?: number }>;

type OpName = keyof typeof OPS;
export type ParentOp = { [K in OpName]: (typeof OPS)[K]['role'] extends 'parent' ? K : never }[OpName];
export type ChildOp = { [K in OpName]: (typeof OPS)[K]['role'] extends 'child' ? K : never }[OpName];

function opDef(op: string): { role: Role; n: number; min?: number } | undefined {
  return Object.hasOwn(OPS, op) ? (OPS as Record<string, { role: Role; n: number; min?: number }>)[op] : undefined;
}

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
    const a = opDef(s.op);
    if (!a) throw new SkiffError('EINTERNAL', `launch plan: unknown step ${s.op}`);
    if (s.role !== a.role) throw new SkiffError('EINTERNAL', `launch plan: ${s.op} is not a ${s.role} step`);
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
