// Go's time formats as the docker CLI prints them, in the local time zone: Time.String()
// (`2024-01-01 00:00:00 +0000 UTC`, the images CreatedAt column) and time.RFC3339
// (`2024-01-01T00:00:00Z`, `history --human=false`).

function local(ms: number): { stamp: string; off: number } {
  const off = -new Date(ms).getTimezoneOffset();
  return { stamp: new Date(ms + off * 60_000).toISOString(), off };
}

function offset(off: number, sep: string): string {
  const a = Math.abs(off);
  return `${off < 0 ? '-' : '+'}${String(Math.trunc(a / 60)).padStart(2, '0')}${sep}${String(a % 60).padStart(2, '0')}`;
}

/** Go's Time.String() to the second: `2024-01-01 00:00:00 +0000 UTC`. */
export function goTimeString(ms: number): string {
  const { stamp, off } = local(ms);
  const zone = off === 0 ? 'UTC' : new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value ?? '';
  return `${stamp.slice(0, 10)} ${stamp.slice(11, 19)} ${offset(off, '')} ${zone}`;
}

/** Go's time.RFC3339: `2024-01-01T00:00:00Z`, or with the local offset `…T01:00:00+01:00`. */
export function rfc3339(ms: number): string {
  const { stamp, off } = local(ms);
  return `${stamp.slice(0, 19)}${off === 0 ? 'Z' : offset(off, ':')}`;
}
