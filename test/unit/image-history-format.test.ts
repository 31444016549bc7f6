// `history` and `images --format` as docker/cli prints them, and the Engine API's image list filters.
// The expected strings are what the docker 28 CLI printed for the same data (test/e2e/docker-images
// compares the two CLIs live).
import { describe, expect, it } from 'vitest';
import { historyTable, imagesTable } from '../../src/image/format.js';
import type { HistoryEntry } from '../../src/image/history.js';
import type { ImageRecord } from '../../src/image/store.js';
import { imageListFilter } from '../../src/api/routes/image-filters.js';

process.env.TZ = 'UTC'; // CreatedAt is local time, as Go prints it
const NOW = Date.parse('2026-01-15T00:00:00Z');
const ID = `sha256:${'ab'.repeat(32)}`;
const created = Date.parse('2024-01-01T00:00:00Z') / 1000;
const entries: HistoryEntry[] = [
  { Id: ID, Created: created, CreatedBy: 'COPY nginx.conf /etc/nginx/nginx.conf', Tags: ['nginx:1.28.0'], Size: 1059, Comment: '' },
  { Id: '<missing>', Created: created, CreatedBy: 'RUN apt-get install nginx # nginx from Debian 12\tand more', Tags: null, Size: 20_800_123, Comment: 'c' },
];

function rec(id: string, tags: string[], digests: string[] = []): ImageRecord {
  return { id, repoTags: tags, repoDigests: digests, manifest: { digest: id, mediaType: '', size: 1 }, config: { mediaType: '', digest: id, size: 1 }, layers: [], created: '2024-01-01T00:00:00Z', size: 7_050_000, platform: 'linux/amd64', addedAt: '2024-01-01T00:00:00Z' };
}

describe('history', () => {
  it('prints Docker\'s columns, ids truncated and CREATED BY ellipsized at 45', () => {
    expect(historyTable(entries, {}, NOW)).toEqual([
      'IMAGE          CREATED       CREATED BY                                      SIZE      COMMENT',
      'abababababab   2 years ago   COPY nginx.conf /etc/nginx/nginx.conf           1.06kB    ',
      '<missing>      2 years ago   RUN apt-get install nginx # nginx from Debia…   20.8MB    c',
    ]);
  });
  it('-H=false gives RFC 3339 times under CREATED AT and sizes in bytes; --no-trunc full ids; -q ids', () => {
    const lines = historyTable(entries, { human: false, noTrunc: true }, NOW);
    expect(lines[0]).toMatch(/^IMAGE\s+CREATED AT\s+CREATED BY\s+SIZE\s+COMMENT$/);
    expect(lines[1]).toContain(`${ID}   2024-01-01T00:00:00Z`);
    expect(lines[2]).toContain('# nginx from Debian 12 and more   20800123');
    expect(historyTable(entries, { quiet: true }, NOW)).toEqual(['abababababab', '<missing>']);
  });
  it('--format json escapes as docker/cli marshals a row', () => {
    expect(historyTable(entries.slice(1), { format: '{{json .}}' }, NOW)).toEqual([
      '{"Comment":"c","CreatedAt":"2024-01-01T00:00:00Z","CreatedBy":"RUN apt-get install nginx # nginx from Debia…","CreatedSince":"2 years ago","ID":"\\u003cmissing\\u003e","Size":"20.8MB"}',
    ]);
  });
});

describe('images --format and -q', () => {
  const images = [rec(ID, ['docker.io/library/nginx:latest', 'docker.io/library/nginx:1.22.1', 'docker.io/library/nginx:1.28.0'])];
  it('-q prints one id per tag; tags sorted as moby\'s reference store', () => {
    expect(imagesTable(images, { quiet: true }, NOW)).toEqual(['abababababab', 'abababababab', 'abababababab']);
    expect(imagesTable(images, { format: '{{.Repository}}:{{.Tag}}' }, NOW)).toEqual(['nginx:1.22.1', 'nginx:1.28.0', 'nginx:latest']);
  });
  it('table templates, json rows and the size columns', () => {
    expect(imagesTable(images.slice(0, 1), { format: 'table {{.Tag}}\t{{.Size}}\t{{.VirtualSize}}', sizeOf: () => 23_552_340 }, NOW)).toEqual([
      'TAG       SIZE      VIRTUAL SIZE', '1.22.1    23.6MB    23.55MB', '1.28.0    23.6MB    23.55MB', 'latest    23.6MB    23.55MB',
    ]);
    expect(imagesTable([rec(ID, ['docker.io/library/nginx:latest'])], { format: 'json' }, NOW)).toEqual([
      '{"Containers":"N/A","CreatedAt":"2024-01-01 00:00:00 +0000 UTC","CreatedSince":"2 years ago","Digest":"\\u003cnone\\u003e","ID":"abababababab","Repository":"nginx","SharedSize":"N/A","Size":"7.05MB","Tag":"latest","UniqueSize":"N/A","VirtualSize":"7.05MB"}',
    ]);
  });
  it('an unknown field is a template error', () => {
    expect(() => imagesTable(images, { format: '{{.Nope}}' }, NOW)).toThrow(/can't evaluate field Nope/);
  });
});

describe('GET /images/json filters', () => {
  const nginx = rec(ID, ['docker.io/library/nginx:latest', 'docker.io/library/nginx:1.28.0']);
  const base = rec(`sha256:${'cd'.repeat(32)}`, ['docker.io/diamol/base:latest']);
  const dangling = rec(`sha256:${'ef'.repeat(32)}`, []);
  it('reference narrows to matching names and tags (globs as path.Match)', () => {
    expect(imageListFilter(['reference=nginx'])(nginx)?.repoTags).toHaveLength(2);
    expect(imageListFilter(['reference=nginx:1.28.0'])(nginx)?.repoTags).toEqual(['docker.io/library/nginx:1.28.0']);
    expect(imageListFilter(['reference=diamol/*'])(base)).toBeDefined();
    expect(imageListFilter(['reference=diamol/*'])(nginx)).toBeUndefined();
  });
  it('dangling, and a bad filter is a 400', () => {
    expect(imageListFilter(['dangling=true'])(dangling)).toBeDefined();
    expect(imageListFilter(['dangling=true'])(base)).toBeUndefined();
    expect(() => imageListFilter(['colour=red'])).toThrow(/invalid filter 'colour'/);
  });
});
