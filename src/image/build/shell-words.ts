// Docker's word expansion for Dockerfile arguments (BuildKit's frontend/dockerfile/shell/lex.go):
// quotes are removed, `$VAR` / `${VAR}` / `${VAR:-word}` … are expanded from the build's ARG/ENV
// values, and the escape character (\ or `) takes the next character literally. It is not a shell:
// no globbing, no command substitution — RUN/CMD/ENTRYPOINT are left for /bin/sh to expand.
//
// Written by hand because the rules are Docker's own (not POSIX sh): e.g. inside double quotes the
// escape only escapes ", $ and itself; a value from a variable is split into words in unquoted
// context. npm's Dockerfile parsers (dockerfile-ast, docker-file-parser) do not expand at all.
import { SkiffError } from '../../errors.js';

export type Env = ReadonlyMap<string, string>;

const NAME_CHAR = /[A-Za-z0-9_]/;

class Lexer {
  private pos = 0;
  private words: string[] = [];
  private word = '';
  /** A quoted empty string ("") still makes a word. */
  private wordStarted = false;

  constructor(private readonly src: string, private readonly env: Env, private readonly escape: string, private readonly split: boolean) {}

  run(): { text: string; words: string[] } {
    const text = this.processUntil(undefined);
    this.endWord();
    return { text, words: this.words };
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private next(): string | undefined {
    return this.src[this.pos++];
  }

  /** Adds literal text to the result; in unquoted context whitespace splits words. */
  private emit(s: string, quoted: boolean): void {
    for (const ch of s) {
      if (!quoted && this.split && /\s/.test(ch)) {
        this.endWord();
        continue;
      }
      this.word += ch;
      this.wordStarted = true;
    }
  }

  private endWord(): void {
    if (this.wordStarted) this.words.push(this.word);
    this.word = '';
    this.wordStarted = false;
  }

  /** Reads until `stop` (unquoted) or the end; returns the text, and feeds the word splitter when top-level. */
  private processUntil(stop: string | undefined): string {
    let out = '';
    const top = stop === undefined;
    const add = (s: string, quoted: boolean) => {
      out += s;
      if (top) this.emit(s, quoted);
    };
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) {
        if (stop !== undefined) throw bad(`unexpected end of statement while looking for matching ${stop}`);
        return out;
      }
      if (ch === stop) {
        this.pos++;
        return out;
      }
      if (ch === "'") {
        this.pos++;
        const s = this.singleQuoted();
        add(s, true);
        if (top) this.wordStarted = true;
      } else if (ch === '"') {
        this.pos++;
        const s = this.doubleQuoted();
        add(s, true);
        if (top) this.wordStarted = true;
      } else if (ch === '$') {
        this.pos++;
        add(this.dollar(), false);
      } else if (ch === this.escape) {
        this.pos++;
        const lit = this.next();
        if (lit !== undefined) add(lit, true); // a trailing escape is dropped
      } else {
        this.pos++;
        add(ch, false);
      }
    }
  }

  private singleQuoted(): string {
    const end = this.src.indexOf("'", this.pos);
    if (end < 0) throw bad('unexpected end of statement while looking for matching single-quote');
    const s = this.src.slice(this.pos, end);
    this.pos = end + 1;
    return s;
  }

  private doubleQuoted(): string {
    let out = '';
    for (;;) {
      const ch = this.next();
      if (ch === undefined) throw bad('unexpected end of statement while looking for matching double-quote');
      if (ch === '"') return out;
      if (ch === '$') {
        out += this.dollar();
        continue;
      }
      if (ch === this.escape) {
        const after = this.peek();
        if (after === undefined) continue;
        // Only ", $ and the escape itself can be escaped; other escapes stay as written.
        if (after === '"' || after === '$' || after === this.escape) {
          out += after;
          this.pos++;
          continue;
        }
      }
      out += ch;
    }
  }

  private name(): string {
    let n = '';
    while (this.peek() !== undefined && NAME_CHAR.test(this.peek()!)) n += this.next();
    return n;
  }

  /** After a `$`: $NAME, ${NAME}, ${NAME<op>word}. */
  private dollar(): string {
    if (this.peek() !== '{') {
      const n = this.name();
      return n === '' ? '$' : (this.env.get(n) ?? '');
    }
    this.pos++;
    const n = this.name();
    if (n === '') throw bad('bad substitution: missing variable name in ${}');
    const value = this.env.get(n);
    const c = this.peek();
    if (c === undefined) throw bad('unexpected end of statement while looking for matching }');
    if (c === '}') {
      this.pos++;
      return value ?? '';
    }
    const colon = c === ':';
    if (colon) this.pos++;
    const op = this.next();
    if (op !== '-' && op !== '+' && op !== '?') throw bad(`unsupported modifier (${colon ? ':' : ''}${op ?? ''}) in substitution`);
    const word = new Lexer(this.src, this.env, this.escape, false);
    word.pos = this.pos;
    const arg = word.processUntil('}');
    this.pos = word.pos;
    const unset = value === undefined || (colon && value === '');
    if (op === '-') return unset ? arg : value!;
    if (op === '+') return unset ? '' : arg;
    if (unset) throw bad(`${n}: ${arg || 'is not allowed to be unset'}`);
    return value!;
  }
}

function bad(message: string): SkiffError {
  return new SkiffError('EBUILD', message, 'check the quotes and ${…} substitutions in this line');
}

/** One word, expanded and unquoted (ENV values, WORKDIR, USER, LABEL …). */
export function processWord(word: string, env: Env, escape = '\\'): string {
  return new Lexer(word, env, escape, false).run().text;
}

/** Expanded and split on unquoted whitespace, including whitespace that came from a variable (EXPOSE, VOLUME …). */
export function processWords(text: string, env: Env, escape = '\\'): string[] {
  return new Lexer(text, env, escape, true).run().words;
}
