// The CLI run without blocking the test's event loop: needed when the test itself serves something
// the CLI talks to (a fault proxy, a token server) — spawnSync would deadlock against it.
import { spawn } from 'node:child_process';
import { SKIFF } from './skiff.js';

export interface AsyncResult { status: number | null; stdout: string; stderr: string }

export function skiffAsync(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<AsyncResult> {
  return new Promise((resolve) => {
    const c = spawn(SKIFF, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (status) => resolve({ status, stdout, stderr }));
    c.stdin.end(opts.input ?? '');
  });
}
