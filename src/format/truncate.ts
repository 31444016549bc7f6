// How Docker shortens what it prints: 12-hex ids, ellipsized commands, and Go's strconv.Quote.

/** stringid.TruncateID: drop an algorithm prefix, keep 12 characters. */
export function shortId(id: string): string {
  const bare = id.includes(':') ? id.slice(id.indexOf(':') + 1) : id;
  return bare.slice(0, 12);
}

/** docker/cli formatter.Ellipsis: cut to `max` code points, the last one becoming '…'. */
export function ellipsis(s: string, max: number): string {
  if (max <= 0) return '';
  const cps = [...s];
  if (max === 1) return cps[0] ?? '';
  if (cps.length <= max) return s;
  return cps.slice(0, max - 1).join('') + '…';
}

/** Go's strconv.Quote for the strings a container command holds. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

/** moby's list.go: Path then Args, an argument holding a space wrapped in single quotes. */
export function commandLine(path: string, args: string[]): string {
  if (args.length === 0) return path;
  return `${path} ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`;
}

/** The COMMAND column: quoted, and ellipsized to 20 unless --no-trunc. */
export function commandColumn(path: string, args: string[], trunc: boolean): string {
  const cmd = commandLine(path, args);
  return goQuote(trunc ? ellipsis(cmd, 20) : cmd);
}
