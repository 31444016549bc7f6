// Argument forms shared by several instructions, ported from BuildKit's line_parsers.go:
// JSON (exec) form, quote-aware word splitting (ENV/LABEL/ARG), and leading --flags.
export type CommandForm = { form: 'exec'; args: string[] } | { form: 'shell'; args: [string] };

/** `["a","b"]` → exec form; anything else (including malformed JSON) is shell form, as Docker does. */
export function parseMaybeJson(rest: string): CommandForm {
  const t = rest.trim();
  if (t.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(t);
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return { form: 'exec', args: v as string[] };
    } catch {
      /* shell form */
    }
  }
  return { form: 'shell', args: [t] };
}

/** Splits on whitespace outside quotes, keeping quotes and escapes in the words (BuildKit parseWords). */
export function parseWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  let word = '';
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  const chars = [...rest];
  for (let i = 0; i <= chars.length; i++) {
    const end = i === chars.length;
    let ch = chars[i] ?? '';
    if (phase === 'spaces') {
      if (end) break;
      if (/\s/.test(ch)) continue;
      phase = 'word';
    }
    if (end) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (/\s/.test(ch)) {
        phase = 'spaces';
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (i + 1 === chars.length) continue;
        word += ch;
        ch = chars[++i]!;
      }
      word += ch;
      continue;
    }
    // phase === 'quote'
    if (ch === quote) phase = 'word';
    if (ch === escape && quote !== "'") {
      if (i + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      word += ch;
      ch = chars[++i]!;
    }
    word += ch;
  }
  return words;
}

/** Leading `--name=value` / `--name` words; stops at the first other word or at a bare `--`. */
export function extractFlags(rest: string): { flags: Map<string, string | true>; rest: string } {
  const flags = new Map<string, string | true>();
  let s = rest.trimStart();
  for (;;) {
    const m = /^--([A-Za-z][A-Za-z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(s);
    if (!m) break;
    flags.set(m[1]!.toLowerCase(), m[2] ?? true);
    s = s.slice(m[0].length);
  }
  if (s.startsWith('-- ')) s = s.slice(3);
  return { flags, rest: s.trim() };
}
