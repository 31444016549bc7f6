// Dockerfile parsing edge cases, after BuildKit's parser tests and Docker's reference.
import { describe, expect, it } from 'vitest';
import { parseDockerfile, parseTrigger } from '../../../src/image/build/dockerfile-parser.js';
import { splitLogicalLines } from '../../../src/image/build/dockerfile-lines.js';
import { parseWords, extractFlags, parseMaybeJson } from '../../../src/image/build/dockerfile-args.js';
import type { Instruction } from '../../../src/image/build/instructions.js';

const steps = (src: string): Instruction[] => parseDockerfile(src).stages.flatMap((s) => s.steps);
const one = (line: string): Instruction => steps(`FROM scratch\n${line}\n`)[0]!;
function fails(src: string): { message: string; hint: string | undefined; code: string } {
  try {
    parseDockerfile(src);
  } catch (e) {
    const err = e as { message: string; hint?: string; code: string };
    return { message: err.message, hint: err.hint, code: err.code };
  }
  throw new Error('expected a parse error');
}

describe('logical lines', () => {
  it('joins continuations without adding spaces, drops comments inside them, skips blank lines', () => {
    const { lines } = splitLogicalLines('FROM a\n\nRUN echo a \\\n# a comment\n  b \\\n\n  c\n# end\nCMD x');
    expect(lines.map((l) => [l.line, l.text])).toEqual([
      [1, 'FROM a'],
      [3, 'RUN echo a   b   c'],
      [9, 'CMD x'],
    ]);
  });
  it('continuation marker may be followed by spaces/tabs', () => {
    expect(splitLogicalLines('RUN a \\  \t\nb').lines[0]!.text).toBe('RUN a b');
  });
  it('a continuation on the last line ends the file', () => {
    expect(splitLogicalLines('FROM a\nRUN x \\').lines[1]!.text).toBe('RUN x ');
  });
  it('indented instructions and comments; BOM; CRLF', () => {
    const { lines } = splitLogicalLines('\uFEFF  FROM a\r\n   # c\r\n\tRUN b\r\n');
    expect(lines.map((l) => l.text)).toEqual(['FROM a', 'RUN b']);
  });
  it('parser directives: escape=` changes the continuation character', () => {
    const r = splitLogicalLines('# escape=`\nFROM a\nRUN dir c:\\ `\n  /w');
    expect(r.directives.escape).toBe('`');
    expect(r.lines[1]!.text).toBe('RUN dir c:\\   /w');
  });
  it('directives only count at the very top', () => {
    expect(splitLogicalLines('# comment\n# escape=`\nFROM a').directives.escape).toBe('\\');
    expect(splitLogicalLines('\n# escape=`\nFROM a').directives.escape).toBe('\\');
    expect(splitLogicalLines('FROM a\n# escape=`\n').directives.escape).toBe('\\');
    expect(splitLogicalLines('# syntax=docker/dockerfile:1\n#escape = `\nFROM a').directives).toEqual({ escape: '`', syntax: 'docker/dockerfile:1' });
  });
  it('unknown directive ends the directive block', () => {
    expect(splitLogicalLines('# foo=bar\n# escape=`\nFROM a').directives.escape).toBe('\\');
  });
  it('bad and duplicate directives', () => {
    expect(() => splitLogicalLines('# escape=x\nFROM a')).toThrow(/Dockerfile:1: invalid escape token 'x'/);
    expect(() => splitLogicalLines('# escape=`\n# escape=\\\nFROM a')).toThrow(/Dockerfile:2: only one escape parser directive/);
  });
});

describe('argument helpers', () => {
  it('parseWords keeps quotes and escapes, splits outside them', () => {
    expect(parseWords('a=1 b="x y" c=\'p q\'  d=e\\ f', '\\')).toEqual(['a=1', 'b="x y"', "c='p q'", 'd=e\\ f']);
    expect(parseWords('x="a\\"b"', '\\')).toEqual(['x="a\\"b"']);
    expect(parseWords('""', '\\')).toEqual(['""']);
  });
  it('extractFlags reads leading --flags only', () => {
    const r = extractFlags('--from=build --chown=1:2 --link src --not-a-flag dst');
    expect([...r.flags]).toEqual([['from', 'build'], ['chown', '1:2'], ['link', true]]);
    expect(r.rest).toBe('src --not-a-flag dst');
  });
  it('parseMaybeJson: JSON array of strings, else shell form', () => {
    expect(parseMaybeJson('["a", "b c"]')).toEqual({ form: 'exec', args: ['a', 'b c'] });
    expect(parseMaybeJson('[\'a\']')).toEqual({ form: 'shell', args: ["['a']"] });
    expect(parseMaybeJson('["a", 1]')).toEqual({ form: 'shell', args: ['["a", 1]'] });
    expect(parseMaybeJson('echo [x]')).toEqual({ form: 'shell', args: ['echo [x]'] });
  });
});

describe('instructions', () => {
  it('FROM with AS (case-insensitive), --platform, global ARGs', () => {
    const df = parseDockerfile('ARG BASE=alpine\nARG V\nfrom --platform=linux/amd64 ${BASE}:3 As Build\nFROM build\n');
    expect(df.globalArgs.map((a) => a.args)).toEqual([[{ name: 'BASE', value: 'alpine' }], [{ name: 'V' }]]);
    expect(df.stages[0]!.from).toMatchObject({ kind: 'FROM', image: '${BASE}:3', alias: 'build', platform: 'linux/amd64', line: 3 });
    expect(df.stages[1]!.from.image).toBe('build');
  });
  it('RUN/CMD/ENTRYPOINT: exec and shell forms', () => {
    expect(one('CMD ["nginx", "-g", "daemon off;"]')).toMatchObject({ kind: 'CMD', command: { form: 'exec', args: ['nginx', '-g', 'daemon off;'] } });
    expect(one('ENTRYPOINT echo $HOME')).toMatchObject({ command: { form: 'shell', args: ['echo $HOME'] } });
    expect(one('CMD')).toMatchObject({ kind: 'CMD', command: { form: 'shell', args: [''] } });
  });
  it('ENV: modern pairs keep quotes for later expansion; legacy form takes the rest of the line', () => {
    expect(one('ENV A=1 B="two words" C=${A}')).toMatchObject({ pairs: [{ name: 'A', value: '1' }, { name: 'B', value: '"two words"' }, { name: 'C', value: '${A}' }] });
    expect(one('ENV MSG hello   big world')).toMatchObject({ pairs: [{ name: 'MSG', value: 'hello   big world' }] });
    expect(one('env a=b')).toMatchObject({ kind: 'ENV' });
  });
  it('ENV/LABEL errors', () => {
    expect(fails('FROM a\nENV A=1 B').message).toBe('Dockerfile:2: Syntax error - can\'t find = in "B". Must be of the form: name=value');
    expect(fails('FROM a\nENV A').message).toBe('Dockerfile:2: ENV must have two arguments');
    expect(fails('FROM a\nLABEL').message).toBe('Dockerfile:2: LABEL requires at least one argument');
    expect(fails('FROM a\nENV =x').message).toMatch(/names can not be blank/);
  });
  it('LABEL with quoted keys and values', () => {
    expect(one('LABEL "com.example.v"="1.0" org.x=\'a b\'')).toMatchObject({ pairs: [{ name: '"com.example.v"', value: '"1.0"' }, { name: 'org.x', value: "'a b'" }] });
  });
  it('ARG with several names and defaults', () => {
    expect(one('ARG A B=2 C="x y"')).toMatchObject({ args: [{ name: 'A' }, { name: 'B', value: '2' }, { name: 'C', value: '"x y"' }] });
    expect(fails('FROM a\nARG 1x').message).toMatch(/invalid ARG name/);
  });
  it('COPY/ADD: flags, JSON form, at least two arguments', () => {
    expect(one('COPY --from=build --chown=app:app a b /dst/')).toMatchObject({ kind: 'COPY', sources: ['a', 'b'], dest: '/dst/', from: 'build', chown: 'app:app', json: false });
    expect(one('ADD ["my file", "/dst dir/"]')).toMatchObject({ kind: 'ADD', sources: ['my file'], dest: '/dst dir/', json: true });
    expect(fails('FROM a\nCOPY onlyone').message).toBe('Dockerfile:2: COPY requires at least two arguments, but only one was provided. Destination could not be determined.');
    expect(fails('FROM a\nADD --from=x a b').message).toBe('Dockerfile:2: unknown flag: --from');
    expect(fails('FROM a\nCOPY --chown a b').message).toMatch(/missing a value on flag: --chown/);
  });
  it('WORKDIR/USER/STOPSIGNAL/EXPOSE/VOLUME/SHELL/MAINTAINER', () => {
    expect(one('WORKDIR /app dir')).toMatchObject({ path: '/app dir' });
    expect(one('USER 1000:1000')).toMatchObject({ user: '1000:1000' });
    expect(one('STOPSIGNAL SIGQUIT')).toMatchObject({ signal: 'SIGQUIT' });
    expect(one('EXPOSE 80 53/udp')).toMatchObject({ ports: ['80', '53/udp'] });
    expect(one('VOLUME ["/a", "/b"]')).toMatchObject({ paths: ['/a', '/b'], json: true });
    expect(one('VOLUME /a /b')).toMatchObject({ paths: ['/a', '/b'], json: false });
    expect(one('SHELL ["/bin/bash", "-o", "pipefail", "-c"]')).toMatchObject({ shell: ['/bin/bash', '-o', 'pipefail', '-c'] });
    expect(one('MAINTAINER me <me@example.com>')).toMatchObject({ name: 'me <me@example.com>' });
    expect(fails('FROM a\nSHELL /bin/sh -c').message).toBe('Dockerfile:2: SHELL requires the arguments to be in JSON form');
    expect(fails('FROM a\nWORKDIR').message).toBe('Dockerfile:2: WORKDIR requires exactly one argument');
    expect(fails('FROM a\nVOLUME [""]').message).toMatch(/can not be an empty string/);
    expect(fails('FROM a\nEXPOSE').message).toMatch(/EXPOSE requires at least one argument/);
  });
  it('HEALTHCHECK: CMD shell/exec, NONE, flags validated', () => {
    expect(one('HEALTHCHECK --interval=5m --timeout=3s --retries=3 CMD curl -f http://localhost/ || exit 1')).toMatchObject({
      test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], interval: '5m', timeout: '3s', retries: 3,
    });
    expect(one('HEALTHCHECK CMD ["/bin/check", "x"]')).toMatchObject({ test: ['CMD', '/bin/check', 'x'] });
    expect(one('HEALTHCHECK NONE')).toMatchObject({ test: ['NONE'] });
    expect(fails('FROM a\nHEALTHCHECK RUN x').message).toBe('Dockerfile:2: Unknown type "RUN" in HEALTHCHECK (try CMD)');
    expect(fails('FROM a\nHEALTHCHECK --interval=5 CMD x').message).toMatch(/invalid duration for --interval/);
    expect(fails('FROM a\nHEALTHCHECK --retries=-1 CMD x').message).toMatch(/--retries cannot be negative/);
  });
});

describe('errors', () => {
  it('unknown instruction, with a suggestion', () => {
    const e = fails('FROM scratch\nCOPY a b\nFORM x\n');
    expect(e).toEqual({ code: 'EBUILD', message: 'Dockerfile:3: unknown instruction: FORM', hint: 'did you mean FROM?' });
    expect(fails('FROM a\nXYZZYQ').hint).toMatch(/^instructions are: FROM RUN/);
  });
  it('the line number is where a continued instruction starts', () => {
    expect(fails('FROM a\nRUN x \\\n  y\n\nCOPY \\\n  a').message).toMatch(/^Dockerfile:5: COPY requires/);
  });
  it('ONBUILD keeps its trigger, checked now; chaining, FROM and MAINTAINER triggers are refused', () => {
    expect(one('ONBUILD COPY --chown=1:1 . /app')).toMatchObject({ kind: 'ONBUILD', trigger: 'COPY --chown=1:1 . /app' });
    expect(fails('FROM a\nONBUILD ONBUILD RUN x').message).toBe('Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
    expect(fails('FROM a\nONBUILD FROM b').message).toBe('Dockerfile:2: FROM isn\'t allowed as an ONBUILD trigger');
    expect(fails('FROM a\nONBUILD FORM b').message).toBe('Dockerfile:2: unknown instruction: FORM');
    expect(fails('FROM a\nONBUILD').message).toBe('Dockerfile:2: ONBUILD requires at least one argument');
    expect(parseTrigger('run make', 7)).toMatchObject({ kind: 'RUN', line: 7, command: { args: ['make'] } });
  });
  it('BuildKit-only flags are refused by name, never parsed and ignored', () => {
    for (const [line, flag] of [['RUN --mount=type=cache,target=/x make', 'mount'], ['RUN --network=none make', 'network'], ['COPY --link a b', 'link'],
      ['COPY --parents a b', 'parents'], ['COPY --exclude=*.md a b', 'exclude'], ['ADD --checksum=sha256:00 a b', 'checksum'], ['ADD --keep-git-dir=true a b', 'keep-git-dir']] as const) {
      const e = fails(`FROM a\n${line}`);
      expect(e.message).toMatch(new RegExp(`^Dockerfile:2: (RUN|COPY|ADD) --${flag} requires BuildKit`));
      expect(e.hint).toContain(`remove --${flag}`);
    }
  });
  it('instructions before FROM, empty files, stage names', () => {
    expect(fails('RUN x\nFROM a').message).toBe('Dockerfile:1: RUN before FROM: no build stage in current context');
    expect(fails('# only a comment\n\n').message).toBe('Dockerfile: file with no instructions');
    expect(fails('ARG A=1\n').message).toBe('Dockerfile: no FROM instruction');
    expect(fails('FROM a AS x\nFROM b AS X').message).toBe('Dockerfile:2: duplicate stage name "x"');
    expect(fails('FROM a AS 1st').message).toMatch(/invalid name for build stage: "1st"/);
    expect(fails('FROM a b').message).toBe('Dockerfile:1: FROM requires either one or three arguments');
    expect(fails('FROM --foo=1 a').message).toBe('Dockerfile:1: unknown flag: --foo');
  });
  it('stages collect their own steps', () => {
    const df = parseDockerfile('FROM a AS one\nRUN x\nFROM b\nCMD y\nCMD z\n');
    expect(df.stages.map((s) => s.steps.map((i) => i.kind))).toEqual([['RUN'], ['CMD', 'CMD']]);
  });
});
