// mount(2) flags (linux/mount.h), passed to the launcher as a decimal number.
export const MS = {
  RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, REMOUNT: 32, NOATIME: 1024, BIND: 4096, REC: 16384,
  PRIVATE: 1 << 18, STRICTATIME: 1 << 24, RELATIME: 1 << 21,
} as const;

export function flags(...f: number[]): string {
  return String(f.reduce((a, b) => a | b, 0));
}
