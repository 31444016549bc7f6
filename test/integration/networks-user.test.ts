// User-defined networks through the real CLI (inside the suite's own network namespace): create,
// containers reaching each other by name, in-use refusal, and nothing left after rm.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { itWhen, needRoot } from '../helpers/conditions.js';
import { skiff, tempStore, type Store } from '../helpers/skiff.js';
import { assertSuiteNetns } from '../helpers/netns.js';

let store: Store;
const sk = (...a: string[]) => skiff(a, { env: store.env });
beforeAll(() => {
  store = tempStore('skiff-nets-');
});
afterAll(() => store?.dispose());

describe('skiff network', () => {
  itWhen([needRoot], 'containers on a user-defined network reach each other by name; rm leaves no bridge or rule', async () => {
    assertSuiteNetns();
    const id = sk('network', 'create', 'lab').stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(sk('network', 'create', 'lab').stderr).toContain('network with name lab already exists');
    // Sorted by name, as docker/cli sorts the daemon's list.
    expect(sk('network', 'ls').stdout).toMatch(/NETWORK ID\s+NAME\s+DRIVER\s+SCOPE\n[0-9a-f]{12}\s+bridge\s+bridge\s+local\n[0-9a-f]{12}\s+host\s+host\s+local\n[0-9a-f]{12}\s+lab\s+bridge\s+local\n[0-9a-f]{12}\s+none\s+null\s+local\n/);
    expect(sk('run', '-d', '--network', 'lab', '--name', 'web', 'diamol/ch02-hello-diamol-web').status).toBe(0);
    await new Promise((r) => setTimeout(r, 1000));
    const r = sk('run', '--rm', '--network', 'lab', 'diamol/base', 'sh', '-c', 'wget -qO- http://web/; ip -4 addr show eth0 2>/dev/null | grep inet || ifconfig eth0 | grep "inet addr"');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Hello from Chapter 2!');
    expect(r.stdout).toMatch(/172\.18\.0\.\d+/);
    const inspect = JSON.parse(sk('network', 'inspect', 'lab').stdout);
    expect(inspect[0].IPAM.Config[0].Subnet).toBe('172.18.0.0/16');
    expect(Object.values(inspect[0].Containers).map((c) => (c as { Name: string }).Name)).toEqual(['web']);
    const busy = sk('network', 'rm', 'lab');
    expect(busy.status).toBe(1);
    expect(busy.stderr).toContain('has active endpoints');
    expect(sk('rm', '-f', 'web').status).toBe(0);
    expect(sk('network', 'rm', 'lab').stdout).toBe('lab\n');
    expect(execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' })).not.toMatch(/br-[0-9a-f]{12}/);
    expect(sk('network', 'rm', 'bridge').stderr).toContain('pre-defined network');
    const bad = sk('run', '--network', 'nosuch', 'diamol/base', 'true');
    expect(bad.status).toBe(125);
    expect(bad.stderr).toContain('network nosuch not found');
  }, 90_000);
});
