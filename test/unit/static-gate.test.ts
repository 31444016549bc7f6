// The static checks of the test gate (scripts/static-checks.mjs) fail on what they are there to catch:
// each one, run on the fixture project test/fixtures/gate, must fail and name the deliberate error
// (so a check that silently passes everything — a wrong path, an ignored folder — is itself caught).
// That they pass on the project itself is what `npm test` shows by running them.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const fixture = join(root, 'test', 'fixtures', 'gate');
interface Gate { runCheck(name: string, cwd?: string): { name: string; ok: boolean; output: string } }
// A plain .mjs (scripts/test.mjs runs it too): loaded by URL so it needs no type declarations.
const gate = (await import(pathToFileURL(join(root, 'scripts', 'static-checks.mjs')).href)) as Gate;

describe('static checks of the test gate', () => {
  it('the type-check fails on a type error', () => {
    const r = gate.runCheck('typecheck', fixture);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/src\/type-error\.ts\(2,14\): error TS2322/);
  }, 60_000);

  it('the linter fails on a promise nobody awaits', () => {
    const r = gate.runCheck('lint', fixture);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/floating\.ts[\s\S]*5:3\s+error\s+Promises must be awaited[\s\S]*no-floating-promises/);
  }, 60_000);

  it('the dead-export check fails on an export nobody imports', () => {
    const r = gate.runCheck('unused-exports', fixture);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/Unused exports \(1\)\s+dead\s+src\/dead-export\.ts:3:14/);
  }, 60_000);
});
