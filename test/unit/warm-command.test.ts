// The front door's wire format as the worker reads it (src/warm/command.ts): what the C client sends.
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/warm/command.js';

// The strings the front door's client sends (native-bindings/client/warm-proto.h).
const wire = (...parts: string[]) => Buffer.from(parts.map((p) => `${p}\0`).join(''));

describe('front door command', () => {
  it('splits entry, cwd, umask, argv and env; argv may hold "=" and empty strings', () => {
    const c = parseCommand(wire('cli', '/home/a', '27', '3', 'run', '-e', 'A=b', 'PATH=/bin', 'EMPTY=', 'X=1=2'));
    expect(c).toEqual({ entry: 'cli', cwd: '/home/a', umask: 0o27, argv: ['run', '-e', 'A=b'], env: { PATH: '/bin', EMPTY: '', X: '1=2' } });
    expect(parseCommand(wire('oci', '/', '22', '2', '', 'x')).argv).toEqual(['', 'x']);
  });

  it('no arguments and no environment', () => {
    expect(parseCommand(wire('cli', '/', '22', '0'))).toEqual({ entry: 'cli', cwd: '/', umask: 0o22, argv: [], env: {} });
  });
});
