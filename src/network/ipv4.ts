// IPv4 addresses and CIDR ranges as plain unsigned 32-bit numbers: all the arithmetic IPAM and
// `network create` need. Written here rather than taken from ip-num, which skiff used before: its
// module builds IPv6 tables when it loads, 120–260 ms of CPU at every Node start that reaches the
// network code — every `skiff run` and each pre-started worker of the front door (measured with
// --cpu-prof; bench/run-latency, bench/density).

export interface Cidr {
  /** The network address (host bits cleared), as a number. */
  first: number;
  /** The broadcast address, as a number. */
  last: number;
  prefixLen: number;
}

/** A dotted quad ("172.17.0.2") as a number, or undefined when it is not one. */
export function parseIPv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** "172.17.0.0/16" (host bits may be set, as ip-num allowed: they are cleared). Throws on bad input. */
export function parseCidr(s: string): Cidr {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(s);
  const addr = m ? parseIPv4(m[1]!) : undefined;
  const prefixLen = m ? Number(m[2]) : NaN;
  if (addr === undefined || !(prefixLen >= 0 && prefixLen <= 32)) throw new Error(`not an IPv4 CIDR: ${s}`);
  const size = 2 ** (32 - prefixLen);
  const first = addr - (addr % size);
  return { first, last: first + size - 1, prefixLen };
}

export function cidrString(c: Cidr): string {
  return `${formatIPv4(c.first)}/${c.prefixLen}`;
}
