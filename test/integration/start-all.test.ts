// `skiff start --all --filter restart-policy=…`: what the lab VM's boot unit runs so that containers with a
// restart policy come back after a reboot, as dockerd brings them back when it starts. A reboot is
// simulated by SIGKILLing every supervisor and container process of the store (nothing runs its cleanup).
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { itWhen, needRoot } from '../helpers/conditions.js';
import { skiff, tempStore, type Store } from '../helpers/skiff.js';

let store: Store;
const sk = (...args: string[]) => skiff(args, { env: store.env });

function storeProcesses(root: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/environ`, 'utf8').includes(root) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('skiff-runtime');
    } catch {
      return false;
    }
  }).map(Number);
}

beforeAll(() => {
  store = tempStore('skiff-startall-');
});
afterAll(() => store?.dispose());

describe('start --all after a simulated reboot', () => {
  itWhen([needRoot], 'brings back always and unless-stopped (not stopped by the user), leaves the rest', () => {
    const mk = (name: string, policy: string) => {
      const r = sk('run', '-d', '--network', 'none', '--name', name, '--restart', policy, 'diamol/base', 'sleep', '100000');
      expect(r.status, r.stderr).toBe(0);
    };
    mk('always', 'always');
    mk('unless', 'unless-stopped');
    mk('stopped', 'unless-stopped');
    mk('never', 'no');
    expect(sk('stop', '-t', '0', 'stopped').status).toBe(0);
    const pids = ['always', 'unless', 'never'].map((n) => Number(sk('inspect', '-f', '{{.State.Pid}}', n).stdout.trim()));
    expect(pids.every((p) => p > 0)).toBe(true);
    // The "reboot": supervisors first (so none runs its cleanup or restart policy), then the containers.
    for (const p of storeProcesses(store.root)) process.kill(p, 'SIGKILL');
    for (const p of pids) process.kill(p, 'SIGKILL');
    const ps = () => sk('ps', '--format', '{{.Names}}').stdout.trim().split('\n').filter(Boolean).sort();
    expect(ps()).toEqual([]);

    const bad = sk('start', '--all', '--filter', 'label=x');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/invalid filter 'label'/);

    const r = sk('start', '--all', '--filter', 'restart-policy=always', '--filter', 'restart-policy=unless-stopped');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
    expect(ps()).toEqual(['always', 'unless']);
    expect(sk('start', 'x', '--all').status).not.toBe(0);
  });
});
