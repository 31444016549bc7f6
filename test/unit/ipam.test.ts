import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Ipam } from '../../src/network/ipam.js';

let dir: string;
const mk = (subnet?: string) => new Ipam({ file: join(dir, 'ipam.json'), lockFile: join(dir, 'network.lock'), subnet });

beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'skiff-ipam-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('IPAM', () => {
  it('starts at .2 (gateway .1) and gives the same address to the same container again', async () => {
    const ipam = mk();
    expect(ipam.gateway).toBe('172.17.0.1');
    expect(ipam.prefixLen).toBe(16);
    expect(await ipam.allocate('a')).toBe('172.17.0.2');
    expect(await ipam.allocate('b')).toBe('172.17.0.3');
    expect(await ipam.allocate('a')).toBe('172.17.0.2');
  });

  it('persists allocations and never hands an address out twice', async () => {
    await mk().allocate('a');
    const again = mk();
    expect(await again.allocate('b')).toBe('172.17.0.3');
    const f = JSON.parse(readFileSync(join(dir, 'ipam.json'), 'utf8'));
    expect(Object.keys(f.allocations).sort()).toEqual(['a', 'b']);
  });

  it('releases (idempotently) and reuses the lowest free address first, as Docker\'s IPAM', async () => {
    const ipam = mk('10.9.0.0/29'); // usable .2 … .6
    for (const id of ['a', 'b', 'c']) await ipam.allocate(id);
    expect(await ipam.release('b')).toBe(true);
    expect(await ipam.release('b')).toBe(false);
    expect(await ipam.release('a')).toBe(true);
    expect(await ipam.allocate('d')).toBe('10.9.0.2'); // the lowest freed one
    expect(await ipam.allocate('e')).toBe('10.9.0.3');
    expect(await ipam.allocate('f')).toBe('10.9.0.5'); // .4 is still c's
  });

  it('says so when the subnet is exhausted', async () => {
    const ipam = mk('10.9.0.0/29');
    for (const id of ['a', 'b', 'c', 'd', 'e']) await ipam.allocate(id);
    await expect(ipam.allocate('f')).rejects.toMatchObject({ code: 'ENETWORK', message: expect.stringContaining('no free address') });
  });

  it('reconciles after a crash: drops allocations of containers that are gone', async () => {
    const ipam = mk();
    for (const id of ['a', 'b', 'c']) await ipam.allocate(id);
    expect((await ipam.reconcile(['b'])).sort()).toEqual(['a', 'c']);
    expect(Object.keys(await ipam.list())).toEqual(['b']);
  });

  it('hands out distinct addresses to concurrent allocators in one process', async () => {
    const ips = await Promise.all(Array.from({ length: 30 }, (_, i) => mk().allocate(`c${i}`)));
    expect(new Set(ips).size).toBe(30);
  });

  it('hands out distinct addresses to concurrent processes', async () => {
    const script = join(dir, 'alloc.mts');
    writeFileSync(script, `
      import { Ipam } from '${join(process.cwd(), 'src/network/ipam.ts')}';
      const ipam = new Ipam({ file: process.argv[2] + '/ipam.json', lockFile: process.argv[2] + '/network.lock' });
      const out = [];
      for (let i = 0; i < 10; i++) out.push(await ipam.allocate(process.argv[3] + i));
      console.log(out.join(' '));`);
    const outs = await Promise.all([0, 1, 2, 3].map((n) => new Promise<string>((resolve, reject) => {
      const c = spawn(process.execPath, ['--import', 'tsx', script, dir, `p${n}-`], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`allocator ${n} exited ${code}`))));
    })));
    const ips = outs.join(' ').split(/\s+/).filter(Boolean);
    expect(ips.length).toBe(40);
    expect(new Set(ips).size).toBe(40);
  }, 60_000);

  it('lists without the lock while other processes allocate and release: always one whole version, never an address twice', async () => {
    const script = join(dir, 'churn.mts');
    writeFileSync(script, `
      import { Ipam } from '${join(process.cwd(), 'src/network/ipam.ts')}';
      const ipam = new Ipam({ file: process.argv[2] + '/ipam.json', lockFile: process.argv[2] + '/network.lock' });
      for (let i = 0; i < 25; i++) {
        await ipam.allocate(process.argv[3] + i);
        if (i % 2) await ipam.release(process.argv[3] + (i - 1));
      }`);
    const reader = mk();
    let reads = 0;
    let done = false;
    const churn = Promise.all([0, 1, 2].map((n) => new Promise<void>((resolve, reject) => {
      const c = spawn(process.execPath, ['--import', 'tsx', script, dir, `w${n}-`], { stdio: ['ignore', 'inherit', 'inherit'] });
      c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${n} exited ${code}`))));
    }))).finally(() => { done = true; });
    while (!done) {
      const ips = Object.values(await reader.list()).map((a) => a.ip);
      expect(new Set(ips).size).toBe(ips.length);
      reads++;
      await new Promise((r) => setImmediate(r));
    }
    await churn;
    expect(reads).toBeGreaterThan(0);
    // Each writer keeps its odd-numbered ids and the last even one it did not release: 13 of 25.
    expect(Object.keys(await reader.list()).length).toBe(3 * 13);
  }, 60_000);

  it('claim returns the record as written, and the earlier one for a container that has an address', async () => {
    const ipam = mk();
    const first = await ipam.claim('a', [{ hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80, proto: 'tcp' }], { name: 'web' });
    expect(first).toMatchObject({ ip: '172.17.0.2', name: 'web', ports: [{ hostPort: 8080 }] });
    first.ports.length = 0; // a copy: changing it changes nothing on disk
    const again = await ipam.claim('a', [], { name: 'web2' });
    expect(again).toMatchObject({ ip: '172.17.0.2', name: 'web2', ports: [{ hostPort: 8080 }] });
  });
});
