// Docker's word expansion (BuildKit shell/lex.go), case by case from Docker's documented behaviour.
import { describe, expect, it } from 'vitest';
import { processWord, processWords } from '../../../src/image/build/shell-words.js';

const env = new Map([
  ['FOO', 'foo'],
  ['EMPTY', ''],
  ['SPACED', 'a b  c'],
  ['PATH', '/usr/bin'],
]);
const w = (s: string, escape = '\\') => processWord(s, env, escape);

describe('processWord', () => {
  it('expands $VAR and ${VAR}; unknown is empty', () => {
    expect(w('$FOO/bar')).toBe('foo/bar');
    expect(w('${FOO}bar')).toBe('foobar');
    expect(w('$FOObar')).toBe('');
    expect(w('x${NOPE}y')).toBe('xy');
    expect(w('$PATH:/bin')).toBe('/usr/bin:/bin');
  });
  it('a lone $ stays', () => {
    expect(w('cost $ 5')).toBe('cost $ 5');
    expect(w('a$')).toBe('a$');
  });
  it(':- and - defaults', () => {
    expect(w('${NOPE:-def}')).toBe('def');
    expect(w('${EMPTY:-def}')).toBe('def');
    expect(w('${EMPTY-def}')).toBe('');
    expect(w('${NOPE-def}')).toBe('def');
    expect(w('${FOO:-def}')).toBe('foo');
  });
  it(':+ and + alternatives', () => {
    expect(w('${FOO:+alt}')).toBe('alt');
    expect(w('${EMPTY:+alt}')).toBe('');
    expect(w('${EMPTY+alt}')).toBe('alt');
    expect(w('${NOPE+alt}')).toBe('');
  });
  it(':? and ? errors', () => {
    expect(() => w('${NOPE:?must be set}')).toThrow(/NOPE: must be set/);
    expect(() => w('${EMPTY:?}')).toThrow(/EMPTY: is not allowed to be unset/);
    expect(w('${EMPTY?x}')).toBe('');
  });
  it('nested substitutions and quotes inside the default', () => {
    expect(w('${NOPE:-${FOO}-x}')).toBe('foo-x');
    expect(w('${NOPE:-"a b"}')).toBe('a b');
  });
  it('single quotes are literal, double quotes expand', () => {
    expect(w("'$FOO'")).toBe('$FOO');
    expect(w('"$FOO"')).toBe('foo');
    expect(w('"a \'b\' c"')).toBe("a 'b' c");
    expect(w("'a \"b\" c'")).toBe('a "b" c');
  });
  it('escapes: \\$ is literal, \\x is x outside quotes, only \\" \\$ \\\\ inside double quotes', () => {
    expect(w('\\$FOO')).toBe('$FOO');
    expect(w('a\\ b')).toBe('a b');
    expect(w('"\\$FOO"')).toBe('$FOO');
    expect(w('"a\\"b"')).toBe('a"b');
    expect(w('"a\\nb"')).toBe('a\\nb');
    expect(w('"a\\\\b"')).toBe('a\\b');
    expect(w('c:\\\\dir')).toBe('c:\\dir');
    expect(w('trailing\\')).toBe('trailing');
  });
  it('backtick escape (# escape=`)', () => {
    expect(w('c:\\dir', '`')).toBe('c:\\dir');
    expect(w('`$FOO', '`')).toBe('$FOO');
  });
  it('errors on unterminated quotes and bad substitutions', () => {
    expect(() => w("'abc")).toThrow(/single-quote/);
    expect(() => w('"abc')).toThrow(/double-quote/);
    expect(() => w('${FOO')).toThrow(/matching }/);
    expect(() => w('${FOO/a/b}')).toThrow(/unsupported modifier \(\/\)/);
    expect(() => w('${}')).toThrow(/bad substitution/);
    expect(() => w('${FOO')).toThrow(expect.objectContaining({ code: 'EBUILD' }));
  });
});

describe('processWords', () => {
  it('splits on unquoted whitespace, including whitespace from a variable', () => {
    expect(processWords('80 $SPACED', env)).toEqual(['80', 'a', 'b', 'c']);
    expect(processWords('"$SPACED" x', env)).toEqual(['a b  c', 'x']);
    expect(processWords("'' x", env)).toEqual(['', 'x']);
    expect(processWords('$EMPTY x', env)).toEqual(['x']);
    expect(processWords('a\\ b c', env)).toEqual(['a b', 'c']);
  });
});
