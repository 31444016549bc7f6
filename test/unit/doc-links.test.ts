// Comments and docs point at pages inside the repository: every `docs/NAME.md` that src/, bench/,
// native-bindings/ or docs/ cite exists, and none cites the facts page outside the repository
// (FACTS.md, ../shared), which a clone of the project does not have.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const SOURCE = /\.(ts|mts|mjs|c|h|md)$/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'build') return [];
    return statSync(p).isDirectory() ? files(p) : SOURCE.test(name) ? [p] : [];
  });
}

/** Pages of other projects' docs/ that ours cite by name (rootlesskit's port drivers). */
const OTHER_PROJECTS = new Set(['port.md']);

const texts = ['src', 'bench', 'native-bindings', 'docs', 'scripts'].flatMap((d) => files(join(root, d)))
  .concat(join(root, 'README.md'))
  .map((p) => ({ path: relative(root, p), text: readFileSync(p, 'utf8') }));

describe('references to docs', () => {
  it('cite no facts page outside the repository', () => {
    expect(texts.filter((f) => /FACTS\.md|\.\.\/shared\//.test(f.text)).map((f) => f.path)).toEqual([]);
  });

  it('name only docs/ pages that exist', () => {
    const missing = texts.flatMap((f) => [...f.text.matchAll(/\bdocs\/([\w.-]+\.md)\b/g)].map((m) => m[1]!)
      .filter((page) => !OTHER_PROJECTS.has(page) && !existsSync(join(root, 'docs', page))).map((page) => `${f.path} → docs/${page}`));
    expect(missing).toEqual([]);
  });
});
