import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostsContent, removeEtcFiles, resolvConfContent, writeEtcFiles } from '../../src/network/etc-files.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('/etc files', () => {
  it('writes /etc/hosts like Docker: localhost, ip6 names, then the container', () => {
    expect(hostsContent('0123456789ab', '172.17.0.2')).toBe(
      '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\n' +
      'ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n172.17.0.2\t0123456789ab\n');
    expect(hostsContent('x')).not.toContain('\tx\n');
  });

  it('drops loopback nameservers from the host resolv.conf and keeps the rest', () => {
    const host = '# generated\nnameserver 127.0.0.53\nnameserver 192.0.2.53\noptions edns0 trust-ad\nsearch example.test\n';
    expect(resolvConfContent(host)).toBe('# generated\nnameserver 192.0.2.53\noptions edns0 trust-ad\nsearch example.test\n');
  });

  it('falls back to Docker\'s public resolvers when only loopback ones are left', () => {
    expect(resolvConfContent('nameserver 127.0.0.53\nsearch lan\n')).toBe('search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n');
    expect(resolvConfContent('')).toBe('nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  });

  it('uses slirp4netns\'s DNS in rootless mode', () => {
    expect(resolvConfContent('nameserver 192.0.2.53\nsearch lan\n', { rootless: true })).toBe('search lan\nnameserver 10.0.2.3\n');
  });

  it('writes the three files into the container\'s directory and removes them', () => {
    const root = mkdtempSync(join(tmpdir(), 'skiff-etc-'));
    dirs.push(root);
    const hr = join(root, 'host-resolv');
    writeFileSync(hr, 'nameserver 127.0.0.1\nnameserver 198.51.100.1\n');
    const f = writeEtcFiles({ dir: join(root, 'c1'), hostname: 'abcdef012345', ip: '172.17.0.9', mode: 'bridge', rootless: false, hostResolvPath: hr });
    expect(readFileSync(f.hostname, 'utf8')).toBe('abcdef012345\n');
    expect(readFileSync(f.hosts, 'utf8')).toContain('172.17.0.9\tabcdef012345\n');
    expect(readFileSync(f.resolvConf, 'utf8')).toBe('nameserver 198.51.100.1\n');
    removeEtcFiles(join(root, 'c1'));
    expect(existsSync(join(root, 'c1'))).toBe(false);
  });
});
