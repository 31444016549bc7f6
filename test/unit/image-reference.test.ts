import { describe, expect, it } from 'vitest';
import { familiarName, familiarString, parseReference } from '../../src/image/reference.js';
import { parseChallenge } from '../../src/image/registry/challenge.js';
import { selectPlatform, parsePlatform } from '../../src/image/manifest.js';
import { imagesTable } from '../../src/image/format.js';
import { humanDuration } from '../../src/format/duration.js';
import { humanSizeWithPrecision } from '../../src/format/size.js';
import { isLoopbackHost, registryBaseUrl } from '../../src/image/registry/transport.js';
import type { ImageRecord } from '../../src/image/store.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('image references (Docker normalisation)', () => {
  it.each([
    ['nginx', { domain: 'docker.io', path: 'library/nginx', tag: 'latest' }, 'nginx:latest'],
    ['nginx:1.28.0', { domain: 'docker.io', path: 'library/nginx', tag: '1.28.0' }, 'nginx:1.28.0'],
    ['diamol/base', { domain: 'docker.io', path: 'diamol/base', tag: 'latest' }, 'diamol/base:latest'],
    ['docker.io/library/nginx', { domain: 'docker.io', path: 'library/nginx', tag: 'latest' }, 'nginx:latest'],
    ['index.docker.io/diamol/base:x', { domain: 'docker.io', path: 'diamol/base', tag: 'x' }, 'diamol/base:x'],
    ['host:5000/a/b:tag', { domain: 'host:5000', path: 'a/b', tag: 'tag' }, 'host:5000/a/b:tag'],
    ['localhost/a', { domain: 'localhost', path: 'a', tag: 'latest' }, 'localhost/a:latest'],
    [`busybox@${D}`, { domain: 'docker.io', path: 'library/busybox', digest: D }, `busybox@${D}`],
    [`127.0.0.1:5000/x/y:v1@${D}`, { domain: '127.0.0.1:5000', path: 'x/y', tag: 'v1', digest: D }, `127.0.0.1:5000/x/y:v1@${D}`],
  ])('%s', (input, want, familiar) => {
    const r = parseReference(input);
    expect(r).toEqual(want);
    expect(familiarString(r)).toBe(familiar);
  });
  it('familiar names', () => {
    expect(familiarName(parseReference('diamol/ch02-hello-diamol'))).toBe('diamol/ch02-hello-diamol');
    expect(familiarName(parseReference('library/nginx'))).toBe('nginx');
  });
  it.each(['', 'Nginx', 'a//b', 'nginx:', 'nginx:-x', 'a@sha256:short', 'bad_/x', 'x:y:z', ':tag', 'a b'])('refuses %j with EREFERENCE', (input) => {
    expect(() => parseReference(input)).toThrow(expect.objectContaining({ code: 'EREFERENCE' }));
  });
});

describe('registry plumbing', () => {
  it('parses WWW-Authenticate challenges', () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' },
    });
    expect(parseChallenge('Basic realm="x"')?.scheme).toBe('basic');
    expect(parseChallenge(null)).toBeUndefined();
  });
  it('uses http only for loopback or named insecure registries', () => {
    expect(isLoopbackHost('127.0.0.1:5000')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('10.0.0.1:5000')).toBe(false);
    expect(registryBaseUrl('docker.io', new Set())).toBe('https://registry-1.docker.io');
    expect(registryBaseUrl('127.0.0.1:5000', new Set())).toBe('http://127.0.0.1:5000');
    expect(registryBaseUrl('reg.lan:5000', new Set())).toBe('https://reg.lan:5000');
    expect(registryBaseUrl('reg.lan:5000', new Set(['reg.lan:5000']))).toBe('http://reg.lan:5000');
  });
  it('selects the platform from an index, or says which exist', () => {
    const idx = { schemaVersion: 2 as const, manifests: [
      { mediaType: 'm', digest: D, size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: 'm', digest: `sha256:${'b'.repeat(64)}`, size: 1, platform: { os: 'linux', architecture: 'amd64' } },
    ] };
    expect(selectPlatform(idx, parsePlatform('linux/amd64'), 'x').digest).toBe(`sha256:${'b'.repeat(64)}`);
    expect(selectPlatform(idx, parsePlatform('linux/arm64'), 'x').digest).toBe(D);
    expect(() => selectPlatform(idx, parsePlatform('linux/s390x'), 'x')).toThrow(/available: linux\/arm64\/v8, linux\/amd64/);
    expect(() => parsePlatform('linux')).toThrow(expect.objectContaining({ code: 'EUSAGE' }));
  });
});

describe('images output', () => {
  it('humanises like Docker', () => {
    expect(humanSizeWithPrecision(7_050_000, 3)).toBe('7.05MB');
    expect(humanSizeWithPrecision(133_000_000, 3)).toBe('133MB');
    expect(humanSizeWithPrecision(999, 3)).toBe('999B');
    expect(humanDuration(14 * 24 * 3600e3)).toBe('2 weeks');
    expect(humanDuration(3600e3)).toBe('About an hour');
    expect(humanDuration(45e3)).toBe('45 seconds');
    expect(humanDuration(3 * 365 * 24 * 3600e3)).toBe('3 years');
  });
  it('prints REPOSITORY TAG IMAGE ID CREATED SIZE in Docker\'s tabwriter columns (at least 10 wide)', () => {
    const now = Date.parse('2026-01-15T00:00:00Z');
    const rec = (id: string, tags: string[], created: string, size: number): ImageRecord => ({
      id, repoTags: tags, repoDigests: [], manifest: { digest: D, mediaType: '', size: 1 }, config: { mediaType: '', digest: id, size: 1 }, layers: [], created, size, platform: 'linux/amd64', addedAt: created,
    });
    const lines = imagesTable([
      rec(`sha256:${'1'.repeat(64)}`, ['docker.io/diamol/ch02-hello-diamol:latest'], '2026-01-01T00:00:00Z', 7_050_000),
      rec(`sha256:${'2'.repeat(64)}`, [], '2026-01-14T23:00:00Z', 1_000),
    ], {}, now);
    expect(lines).toEqual([
      // docker/cli's tabwriter: no column narrower than 10 (TAG is, with three spaces of padding, 9).
      'REPOSITORY                 TAG       IMAGE ID       CREATED             SIZE',
      '<none>                     <none>    222222222222   About an hour ago   1kB',
      'diamol/ch02-hello-diamol   latest    111111111111   2 weeks ago         7.05MB',
    ]);
  });
});
