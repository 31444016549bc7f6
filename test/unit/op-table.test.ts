// The launcher's op table (native-bindings/runtime/op_table.c, printed by `skiff-runtime ops`) and
// TypeScript's OPS (src/spawn/plan.ts) must name the same ops with the same role and arity; and a plan
// step the table does not accept is refused by the launcher as EINVAL at that step, not executed.
import { execFileSync, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { nativeBinary } from '../../src/native.js';
import { OPS } from '../../src/spawn/plan.js';

function nativeOps(): Map<string, { role: string; n: number; min: number }> {
  const out = execFileSync(nativeBinary('skiff-runtime'), ['ops'], { encoding: 'utf8' });
  const m = new Map<string, { role: string; n: number; min: number }>();
  for (const line of out.trim().split('\n')) {
    const [name, role, n, min] = line.split(' ');
    expect(name && role && n && min, `malformed line "${line}"`).toBeTruthy();
    expect(m.has(name!), `${name} listed twice`).toBe(false);
    m.set(name!, { role: role!, n: Number(n), min: Number(min) });
  }
  return m;
}

/** Runs `skiff-runtime launch` with a raw wire plan and returns its report lines and exit code. */
function launchRaw(wire: string[]): Promise<{ lines: string[]; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(nativeBinary('skiff-runtime'), ['launch'], { stdio: ['ignore', 'ignore', 'inherit', 'pipe', 'pipe', 'pipe'] });
    const [plan, report] = [child.stdio[3], child.stdio[4]] as [NodeJS.WritableStream, NodeJS.ReadableStream];
    let out = '';
    report.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ lines: out.trim().split('\n').filter(Boolean), code }));
    plan.end(Buffer.from(wire.join('\0') + '\0'));
  });
}

describe('launcher op table', () => {
  it('lists exactly the ops of plan.ts, with the same role and arity', () => {
    const native = nativeOps();
    const ts = new Map(Object.entries(OPS).map(([k, v]) => [k, { role: v.role as string, n: v.n as number, min: ('min' in v ? v.min : v.n) as number }]));
    expect([...native.keys()].sort()).toEqual([...ts.keys()].sort());
    for (const [name, def] of ts) expect(native.get(name), name).toEqual(def);
  });

  it('has no op named rootfs (nothing emits it)', () => {
    expect(nativeOps().has('rootfs')).toBe(false);
  });

  it('refuses a parent step with the wrong arity as EINVAL at that step', async () => {
    const r = await launchRaw(['report-pid', '1', 'x']);
    expect(r.lines).toEqual(['error parent 0 22']);
    expect(r.code).toBe(125);
  });

  it('refuses a child op in the parent section, and an unknown op, as EINVAL', async () => {
    expect((await launchRaw(['stdio-pipes', '0', 'exec', '2', '/bin', 'true'])).lines).toEqual(['error parent 1 22']);
    expect((await launchRaw(['no-such-op', '0'])).lines).toEqual(['error parent 0 22']);
  });

  it('refuses a count that is not a plain number', async () => {
    for (const bad of ['+0', ' 0', '0x0', '-0', '0junk', '']) {
      const r = await launchRaw(['trace', bad]);
      expect(r.lines, JSON.stringify(bad)).toEqual(['error parent -1 22']);
    }
  });

  it('refuses a child step with the wrong arity as EINVAL at that step (reported by the child)', async () => {
    // clone without namespaces: the child runs the (bad) step and reports through its error pipe.
    const r = await launchRaw(['clone', '2', '0', '', 'release', '0', 'wait-exec', '0', 'child', '0',
      'wait-parent', '0', 'hostname', '2', 'a', 'b', 'exec', '2', '/bin', 'true']);
    expect(r.lines).toEqual(['error child 5 22']);
    expect(r.code).toBe(125);
  });
});
