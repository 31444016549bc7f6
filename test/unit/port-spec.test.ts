import { describe, expect, it } from 'vitest';
import { formatPorts, parsePortSpec, portCommandLines, publishAllSpecs, sameHostSocket } from '../../src/network/port-spec.js';

describe('-p parsing', () => {
  it.each([
    ['8088:80', { hostIp: '0.0.0.0', hostPort: 8088, containerPort: 80, proto: 'tcp' }],
    ['127.0.0.1:8088:80', { hostIp: '127.0.0.1', hostPort: 8088, containerPort: 80, proto: 'tcp' }],
    ['8088:80/udp', { hostIp: '0.0.0.0', hostPort: 8088, containerPort: 80, proto: 'udp' }],
    ['80', { hostIp: '0.0.0.0', hostPort: 0, containerPort: 80, proto: 'tcp' }],
    ['80/TCP', { hostIp: '0.0.0.0', hostPort: 0, containerPort: 80, proto: 'tcp' }],
    ['127.0.0.1::80', { hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, proto: 'tcp' }],
    [':80', { hostIp: '0.0.0.0', hostPort: 0, containerPort: 80, proto: 'tcp' }],
  ])('%s', (spec, want) => {
    expect(parsePortSpec(spec)).toEqual(want);
  });

  it.each([
    ['', 'empty'],
    ['abc', 'not a number'],
    ['70000:80', 'outside 1-65535'],
    ['8088:0', 'outside 1-65535'],
    ['8088:80/sctp', 'not tcp or udp'],
    ['1.2.3:8088:80', 'not an IPv4 address'],
    ['300.0.0.1:8088:80', 'not an IPv4 address'],
    ['1:2:3:4', 'too many'],
    ['8000-8010:80', 'ranges'],
  ])('refuses %j with EPORT and a hint', (spec, why) => {
    try {
      parsePortSpec(spec);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'EPORT' });
      expect((e as Error).message).toContain(why);
      expect((e as { hint: string }).hint).toContain('-p 8088:80');
    }
  });

  it('-P publishes every EXPOSEd port on a random host port', () => {
    expect(publishAllSpecs({ '80/tcp': {}, '53/udp': {} })).toEqual([
      { hostIp: '0.0.0.0', hostPort: 0, containerPort: 80, proto: 'tcp' },
      { hostIp: '0.0.0.0', hostPort: 0, containerPort: 53, proto: 'udp' },
    ]);
    expect(publishAllSpecs(undefined)).toEqual([]);
  });

  it('knows which specs claim the same host socket', () => {
    const a = parsePortSpec('8088:80');
    expect(sameHostSocket(a, parsePortSpec('127.0.0.1:8088:81'))).toBe(true);
    expect(sameHostSocket(a, parsePortSpec('8088:80/udp'))).toBe(false);
    expect(sameHostSocket(parsePortSpec('127.0.0.1:8088:80'), parsePortSpec('127.0.0.2:8088:80'))).toBe(false);
    expect(sameHostSocket(parsePortSpec('80'), parsePortSpec('80'))).toBe(false);
  });

  it('prints the PORTS column as Docker does', () => {
    expect(formatPorts([{ hostIp: '0.0.0.0', hostPort: 8088, containerPort: 80, proto: 'tcp' }])).toBe('0.0.0.0:8088->80/tcp');
    expect(formatPorts([
      { hostIp: '0.0.0.0', hostPort: 8088, containerPort: 80, proto: 'tcp' },
      { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, proto: 'udp' },
    ])).toBe('0.0.0.0:8088->80/tcp, 127.0.0.1:5353->53/udp');
    expect(formatPorts([])).toBe('');
  });
});

describe('skiff port output', () => {
  const b = [
    { hostIp: '0.0.0.0', hostPort: 8088, containerPort: 80, proto: 'tcp' as const },
    { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, proto: 'udp' as const },
  ];
  it('lists every binding as Docker does', () => {
    expect(portCommandLines(b)).toEqual(['80/tcp -> 0.0.0.0:8088', '53/udp -> 127.0.0.1:5353']);
  });
  it('answers for one private port (tcp by default)', () => {
    expect(portCommandLines(b, '80')).toEqual(['0.0.0.0:8088']);
    expect(portCommandLines(b, '53/udp')).toEqual(['127.0.0.1:5353']);
    expect(portCommandLines(b, '53')).toBeUndefined();
    expect(() => portCommandLines(b, 'x')).toThrow(/invalid port/);
  });
});
