import { describe, expect, it } from 'vitest';
import { bytesSize, goG, humanSize, humanSizeWithPrecision } from '../../src/format/size.js';
import { commandColumn, commandLine, ellipsis, goQuote, shortId } from '../../src/format/truncate.js';
import { alignTabs, renderTable } from '../../src/format/table.js';

describe('sizes (go-units)', () => {
  // Cases from go-units size_test.go.
  it('HumanSize', () => {
    expect(humanSize(1000)).toBe('1kB');
    expect(humanSize(1024)).toBe('1.024kB');
    expect(humanSize(1000000)).toBe('1MB');
    expect(humanSize(1048576)).toBe('1.049MB');
    expect(humanSize(2 * 1000 * 1000)).toBe('2MB');
    expect(humanSize(3.42 * 1e9)).toBe('3.42GB');
    expect(humanSize(5.372 * 1e12)).toBe('5.372TB');
    expect(humanSize(2.22 * 1e15)).toBe('2.22PB');
    expect(humanSize(1e21)).toBe('1ZB');
    expect(humanSize(1e30)).toBe('1e+06YB');
    expect(humanSize(0)).toBe('0B');
    expect(humanSize(999)).toBe('999B');
  });
  it('BytesSize', () => {
    expect(bytesSize(1024)).toBe('1KiB');
    expect(bytesSize(1024 * 1024)).toBe('1MiB');
    expect(bytesSize(1048576)).toBe('1MiB');
    expect(bytesSize(2 * 1024 * 1024)).toBe('2MiB');
    expect(bytesSize(3.42 * 1024 ** 3)).toBe('3.42GiB');
    expect(bytesSize(5.372 * 1024 ** 4)).toBe('5.372TiB');
    expect(bytesSize(2.22 * 1024 ** 5)).toBe('2.22PiB');
  });
  it('precision 3, as docker images prints', () => {
    expect(humanSizeWithPrecision(7_050_000, 3)).toBe('7.05MB');
    expect(humanSizeWithPrecision(1_234_567, 3)).toBe('1.23MB');
    expect(humanSizeWithPrecision(999_600, 3)).toBe('1e+03kB');
  });
  it('%g', () => {
    expect(goG(0.0001234, 3)).toBe('0.000123');
    expect(goG(0.00001234, 3)).toBe('1.23e-05');
    expect(goG(12.5, 4)).toBe('12.5');
  });
});

describe('truncation', () => {
  it('short ids', () => {
    expect(shortId('dea08064a8ca0c3c9f0e6c2b8b0d1e2f3a4b5c6d7e8f90123456789abcdef012')).toBe('dea08064a8ca');
    expect(shortId('sha256:787fe221a14f46b55e224ea0436aca77d345c3ded400aaf6cd40125e247f35c7')).toBe('787fe221a14f');
  });
  it('ellipsis like docker/cli', () => {
    expect(ellipsis('/bin/sh -c ./cmd.sh', 20)).toBe('/bin/sh -c ./cmd.sh');
    expect(ellipsis('nginx -g daemon off;', 20)).toBe('nginx -g daemon off;');
    expect(ellipsis('/docker-entrypoint.sh nginx -g daemon off;', 20)).toBe('/docker-entrypoint.…');
    expect(ellipsis('abc', 1)).toBe('a');
    expect(ellipsis('abc', 0)).toBe('');
  });
  it('COMMAND column as in the chapter', () => {
    expect(commandColumn('/bin/sh', ['-c', './cmd.sh'], true)).toBe('"/bin/sh -c ./cmd.sh"');
    expect(commandColumn('/bin/sh', [], true)).toBe('"/bin/sh"');
    expect(commandColumn('/docker-entrypoint.sh', ['nginx', '-g', 'daemon off;'], true)).toBe('"/docker-entrypoint.…"');
    expect(commandColumn('/docker-entrypoint.sh', ['nginx', '-g', 'daemon off;'], false)).toBe(`"/docker-entrypoint.sh nginx -g 'daemon off;'"`);
    expect(commandLine('echo', ['a b', 'c'])).toBe("echo 'a b' c");
  });
  it('Go quoting', () => {
    expect(goQuote('say "hi"\\\n\x01')).toBe('"say \\"hi\\"\\\\\\n\\x01"');
    expect(goQuote('한글')).toBe('"한글"');
  });
});

describe('tables (text/tabwriter 10,1,3)', () => {
  it('reproduces the chapter\'s `docker container ls --all` byte for byte', () => {
    const expected = [
      'CONTAINER ID   IMAGE                      COMMAND                 CREATED          STATUS                       PORTS     NAMES',
      'dea08064a8ca   diamol/base                "/bin/sh"               7 minutes ago    Exited (127) 3 minutes ago             quirky_hugle',
      '4abd5e6c9115   diamol/ch02-hello-diamol   "/bin/sh -c ./cmd.sh"   19 minutes ago   Exited (0) 19 minutes ago              nice_lichterman',
      'e80456d30baf   diamol/ch02-hello-diamol   "/bin/sh -c ./cmd.sh"   25 minutes ago   Exited (0) 25 minutes ago              hardcore_haslett',
    ].join('\n') + '\n';
    const got = alignTabs([
      'CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES',
      'dea08064a8ca\tdiamol/base\t"/bin/sh"\t7 minutes ago\tExited (127) 3 minutes ago\t\tquirky_hugle',
      '4abd5e6c9115\tdiamol/ch02-hello-diamol\t"/bin/sh -c ./cmd.sh"\t19 minutes ago\tExited (0) 19 minutes ago\t\tnice_lichterman',
      'e80456d30baf\tdiamol/ch02-hello-diamol\t"/bin/sh -c ./cmd.sh"\t25 minutes ago\tExited (0) 25 minutes ago\t\thardcore_haslett',
    ]);
    expect(got).toBe(expected);
  });
  it('empty listing is Docker\'s header line', () => {
    expect(renderTable([['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']])).toBe(
      'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n',
    );
  });
  it('counts code points, not bytes', () => {
    expect(renderTable([['é', 'x'], ['abcdefghij', 'y']])).toBe('é' + ' '.repeat(12) + 'x\nabcdefghij   y\n');
  });
});
