// The IPv4 arithmetic IPAM and `network create` rely on (src/network/ipv4.ts).
import { describe, expect, it } from 'vitest';
import { cidrString, formatIPv4, parseCidr, parseIPv4 } from '../../src/network/ipv4.js';

describe('ipv4', () => {
  it('parses and formats dotted quads', () => {
    expect(parseIPv4('172.17.0.2')).toBe(0xac110002);
    expect(formatIPv4(0xac110002)).toBe('172.17.0.2');
    expect(formatIPv4(parseIPv4('255.255.255.255')!)).toBe('255.255.255.255');
    expect(formatIPv4(0)).toBe('0.0.0.0');
  });

  it('refuses what is not a dotted quad', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.-4', 'a.b.c.d', '1.2.3.4 ']) expect(parseIPv4(bad)).toBeUndefined();
  });

  it('clears host bits and finds the broadcast address', () => {
    const c = parseCidr('172.17.5.9/16');
    expect(cidrString(c)).toBe('172.17.0.0/16');
    expect(formatIPv4(c.last)).toBe('172.17.255.255');
    expect(parseCidr('10.0.0.0/8').last - parseCidr('10.0.0.0/8').first + 1).toBe(2 ** 24);
    expect(cidrString(parseCidr('192.168.1.77/28'))).toBe('192.168.1.64/28');
    expect(formatIPv4(parseCidr('0.0.0.0/0').last)).toBe('255.255.255.255');
  });

  it('throws on a bad CIDR', () => {
    for (const bad of ['172.17.0.0', '172.17.0.0/33', '172.17.0/16', 'x/8', '1.2.3.4/']) expect(() => parseCidr(bad)).toThrow();
  });
});
