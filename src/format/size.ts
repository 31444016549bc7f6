// go-units sizes as Docker prints them: HumanSize (decimal, "1.5MB") and BytesSize (binary, "1.5MiB").

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function scale(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]!];
}

/** Go's %.<p>g: p significant digits, trailing zeros dropped, exponent form for big/small values. */
export function goG(value: number, precision: number): string {
  if (value === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(value.toPrecision(precision)))));
  if (exp < -4 || exp >= precision) {
    const [mant, e] = value.toExponential(precision - 1).split('e');
    const m = mant!.includes('.') ? mant!.replace(/\.?0+$/, '') : mant!;
    const n = Number(e);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const fixed = value.toFixed(Math.max(0, precision - 1 - exp));
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** go-units HumanSizeWithPrecision (Docker's SIZE columns use precision 3). */
export function humanSizeWithPrecision(bytes: number, precision: number): string {
  const [n, unit] = scale(bytes, 1000, DECIMAL);
  return `${goG(n, precision)}${unit}`;
}

/** go-units HumanSize: decimal units, 4 significant digits. */
export function humanSize(bytes: number): string {
  return humanSizeWithPrecision(bytes, 4);
}

/** go-units BytesSize: binary units, 4 significant digits. */
export function bytesSize(bytes: number): string {
  const [n, unit] = scale(bytes, 1024, BINARY);
  return `${goG(n, 4)}${unit}`;
}

const BINARY_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes's grammar ("512m", "20g", "1.5GiB", "4096"): binary multiples; undefined if malformed. */
export function parseBinarySize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Math.floor(Number(m[1]) * BINARY_UNITS[m[2]!.toLowerCase()]!);
  return Number.isSafeInteger(n) ? n : undefined;
}
