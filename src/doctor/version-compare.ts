// Kernel and Node versions as comparable numbers: "6.18.44-fc-v782" → [6, 18, 44].
export function parseVersion(v: string): number[] {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(v.trim());
  if (!m) return [0, 0, 0];
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

/** True when version v is at least major.minor. */
export function atLeast(v: string, major: number, minor = 0): boolean {
  const [a = 0, b = 0] = parseVersion(v);
  return a > major || (a === major && b >= minor);
}
