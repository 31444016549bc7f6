// The build context: .dockerignore (Docker's pattern semantics), COPY source resolution.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openContext, resolveCopySources, segmentPattern, matchSource } from '../../../src/image/build/build-context.js';

let dir: string;
function files(spec: Record<string, string>): void {
  for (const [p, content] of Object.entries(spec)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
}
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctx-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const targets = (items: { target: string }[]) => items.map((i) => i.target);

describe('.dockerignore', () => {
  it('Docker semantics: root-anchored names, **, ! exceptions inside ignored dirs, comments', () => {
    files({
      '.dockerignore': '# comment\n*.md\n!README.md\nnode_modules\n**/*.log\nsecret/\n!secret/public.txt\n',
      'README.md': '', 'NOTES.md': '', 'docs/x.md': '', 'node_modules/a/b.js': '', 'a/b/c.log': '', 'app.js': '',
      'secret/key': '', 'secret/public.txt': '',
    });
    const ctx = openContext(dir);
    expect(ctx.ignored('NOTES.md')).toBe(true);
    expect(ctx.ignored('README.md')).toBe(false);
    expect(ctx.ignored('docs/x.md')).toBe(false); // *.md only matches at the root
    expect(ctx.ignored('node_modules/a/b.js')).toBe(true);
    expect(ctx.ignored('a/b/c.log')).toBe(true);
    const all = targets(resolveCopySources(ctx, ['.'], '/app/'));
    expect(all).toEqual(['/app/.dockerignore', '/app/README.md', '/app/a', '/app/a/b', '/app/app.js', '/app/docs', '/app/docs/x.md', '/app/secret/public.txt']);
  });
});

describe('COPY sources', () => {
  beforeEach(() => files({ 'index.html': 'hi', 'css/site.css': 'c', 'css/print.css': 'p', 'js/a.js': 'a', 'b.json': '{}', 'c.json': '{}' }));

  it('one file to a file path, or into a directory when dest ends with /', () => {
    const ctx = openContext(dir);
    expect(targets(resolveCopySources(ctx, ['index.html'], '/usr/share/nginx/html/index.html'))).toEqual(['/usr/share/nginx/html/index.html']);
    expect(targets(resolveCopySources(ctx, ['index.html'], '/web/'))).toEqual(['/web/index.html']);
  });
  it('a directory copies its contents, not itself', () => {
    expect(targets(resolveCopySources(openContext(dir), ['css'], '/static'))).toEqual(['/static/print.css', '/static/site.css']);
  });
  it('relative dest is under WORKDIR; several sources go into the dest directory', () => {
    expect(targets(resolveCopySources(openContext(dir), ['index.html', 'b.json'], 'app', '/srv'))).toEqual(['/srv/app/index.html', '/srv/app/b.json']);
  });
  it('wildcards match per segment, Go-style', () => {
    expect(targets(resolveCopySources(openContext(dir), ['*.json'], '/cfg'))).toEqual(['/cfg/b.json', '/cfg/c.json']);
    expect(targets(resolveCopySources(openContext(dir), ['css/[ps]*.css'], '/x/'))).toEqual(['/x/print.css', '/x/site.css']);
    expect(matchSource(openContext(dir), '?.json')).toEqual(['b.json', 'c.json']);
    expect(segmentPattern('a\\*b').test('a*b')).toBe(true);
    expect(segmentPattern('[!a]').test('!')).toBe(true);
    expect(segmentPattern('[^a]').test('b')).toBe(true);
  });
  it('missing source, nothing matched, escaping the context: clear errors', () => {
    const ctx = openContext(dir);
    expect(() => resolveCopySources(ctx, ['nope.txt'], '/x')).toThrow(/file not found in build context or excluded by .dockerignore: nope.txt/);
    expect(() => resolveCopySources(ctx, ['*.zip'], '/x')).toThrow(/no source files were specified/);
    expect(() => resolveCopySources(ctx, ['../etc/passwd'], '/x')).toThrow(/forbidden path outside the build context/);
  });
  it('a symlink leading outside the context is refused; one inside is followed at top level', () => {
    symlinkSync('/etc', join(dir, 'out'));
    symlinkSync('index.html', join(dir, 'alias.html'));
    const ctx = openContext(dir);
    expect(() => resolveCopySources(ctx, ['out'], '/x')).toThrow(/forbidden path outside the build context/);
    expect(resolveCopySources(ctx, ['alias.html'], '/x')[0]!.source).toBe(join(ctx.dir, 'index.html'));
  });
  it('an ignored file cannot be copied', () => {
    files({ '.dockerignore': 'b.json\n' });
    expect(() => resolveCopySources(openContext(dir), ['b.json'], '/x')).toThrow(/excluded by .dockerignore/);
  });
  it('context must be a directory', () => {
    expect(() => openContext(join(dir, 'index.html'))).toThrow(/is not a directory/);
  });
});
