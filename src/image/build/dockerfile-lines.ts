// A Dockerfile's text → logical lines, as BuildKit's parser reads it: parser directives at the very
// top (`# escape=\``, `# syntax=…`), comment lines dropped (also between continued lines), a line
// ending in the escape character continued by the next one, blank lines skipped.
import { SkiffError } from '../../errors.js';

export interface LogicalLine {
  /** 1-based number of the line the instruction starts on. */
  line: number;
  endLine: number;
  text: string;
}

export interface Directives {
  escape: '\\' | '`';
  syntax?: string;
  check?: string;
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const KNOWN_DIRECTIVES = new Set(['escape', 'syntax', 'check']);

function parseError(line: number, message: string, hint: string): SkiffError {
  return new SkiffError('EBUILD', `Dockerfile:${line}: ${message}`, hint);
}

function isComment(line: string): boolean {
  return /^[ \t]*#/.test(line);
}

/** Directives end at the first line that is not one (a blank line, a comment, an instruction). */
function readDirectives(lines: string[]): { directives: Directives; consumed: number } {
  const directives: Directives = { escape: '\\' };
  const seen = new Set<string>();
  let i = 0;
  for (; i < lines.length; i++) {
    const m = DIRECTIVE.exec(lines[i]!);
    if (!m) break;
    const name = m[1]!.toLowerCase();
    if (!KNOWN_DIRECTIVES.has(name)) break; // an unknown directive is an ordinary comment, and ends directives
    if (seen.has(name)) throw parseError(i + 1, `only one ${name} parser directive can be used`, 'remove the duplicate directive');
    seen.add(name);
    const value = m[2]!;
    if (name === 'escape') {
      if (value !== '\\' && value !== '`') throw parseError(i + 1, `invalid escape token '${value}' does not match \` or \\`, 'use # escape=\\ or # escape=`');
      directives.escape = value;
    } else if (name === 'syntax') directives.syntax = value;
    else directives.check = value;
  }
  return { directives, consumed: i };
}

export function splitLogicalLines(source: string): { directives: Directives; lines: LogicalLine[] } {
  const raw = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  const { directives, consumed } = readDirectives(raw);
  const esc = directives.escape === '\\' ? '\\\\' : '`';
  const continuation = new RegExp(`${esc}[ \\t]*$`);
  const out: LogicalLine[] = [];
  let i = consumed;
  while (i < raw.length) {
    const start = i;
    const first = raw[i++]!.replace(/^[ \t]+/, '');
    if (first === '' || isComment(first)) continue;
    let text = first;
    let continued = continuation.test(text);
    if (continued) text = text.replace(continuation, '');
    while (continued && i < raw.length) {
      const next = raw[i++]!;
      if (isComment(next)) continue;
      if (next.trim() === '') continue; // empty continuation line: Docker accepts it (deprecated)
      continued = continuation.test(next);
      text += continued ? next.replace(continuation, '') : next;
    }
    if (text.trim() === '') continue;
    out.push({ line: start + 1, endLine: i, text });
  }
  return { directives, lines: out };
}
