// clone3 flags (linux/sched.h) for the namespaces a container gets.
export const CLONE = {
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;

export type Namespace = keyof typeof CLONE;

export function cloneFlags(namespaces: Namespace[]): string {
  return String(namespaces.reduce((f, n) => f | CLONE[n], 0) >>> 0);
}
