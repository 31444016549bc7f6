// The layer rule of .dependency-cruiser.mjs, checked by machine: src/ has no wrong-way import, no
// leaf reaching into a layer, no cycle and no folder outside the table — and the same rule, run on a
// fake tree that breaks it once in each way, reports each break (so a silent rule cannot pass).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cruise, type IForbiddenRuleType, type IViolation } from 'dependency-cruiser';

const root = join(import.meta.dirname, '..', '..');
interface RuleModule {
  LAYERS: string[][];
  LEAVES: string[];
  layerConfig(root: string): { forbidden: IForbiddenRuleType[]; options: Record<string, unknown> };
}
// A plain .mjs config (the depcruise CLI reads it too): loaded by URL so it needs no type declarations.
const rule = (await import(pathToFileURL(join(root, '.dependency-cruiser.mjs')).href)) as RuleModule;

async function violations(tree: string): Promise<string[]> {
  const { forbidden, options } = rule.layerConfig(tree);
  const prev = process.cwd();
  process.chdir(root);
  try {
    const r = await cruise([tree], { ...options, ruleSet: { forbidden }, validate: true, outputType: 'json' } as never);
    const out = typeof r.output === 'string' ? JSON.parse(r.output) : r.output;
    return (out.summary.violations as IViolation[]).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
  } finally {
    process.chdir(prev);
  }
}

describe('layer rule', () => {
  it('src/ imports only down the layer table, leaves import only leaves, and nothing is circular', async () => {
    expect(await violations('src')).toEqual([]);
  }, 120_000);

  it('every folder and top-level module of src/ has its place in the table', () => {
    const known = new Set([...rule.LAYERS.flat(), ...rule.LEAVES]);
    const entries = readdirSync(join(root, 'src')).map((e) => e.replace(/\.ts$/, ''));
    expect(entries.filter((e) => !known.has(e))).toEqual([]);
  });

  it('reports each kind of break in a fake tree, and not the one legal import', async () => {
    const base = 'test/fixtures/layer-violation/src';
    const found = await violations(base);
    expect(found).toEqual(expect.arrayContaining([
      `upward-from-kernel: ${base}/kernel/syscall.ts → ${base}/engine/verb.ts`,
      `upward-from-spawn-state-security: ${base}/state/record.ts → ${base}/cli/main.ts`,
      `leaf-imports-layer: ${base}/format/status.ts → ${base}/state/record.ts`,
      `not-in-layer-table: ${base}/engine/verb.ts → ${base}/stray/stray.ts`,
    ]));
    expect(found.some((v) => v.startsWith(`no-circular: ${base}/engine/ping.ts → ${base}/engine/pong.ts`) || v.startsWith(`no-circular: ${base}/engine/pong.ts → ${base}/engine/ping.ts`))).toBe(true);
    expect(found.filter((v) => v.includes(`${base}/engine/verb.ts → ${base}/kernel/`))).toEqual([]);
  }, 120_000);
});
