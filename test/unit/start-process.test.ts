// The posix_spawn launch primitive (src/spawn/start-process.ts over src/kernel/posix-spawn.ts): exit
// status and signal deaths come back, streams reach the child on the descriptors asked for and no
// other descriptor does, the child starts with default signal actions (Node ignores SIGPIPE), and a
// program that cannot start is a typed error — from the primitive and from the launcher's caller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { startProcess } from '../../src/spawn/start-process.js';
import { launch } from '../../src/spawn/launch.js';
import { Plan } from '../../src/spawn/plan.js';
import { SkiffError } from '../../src/errors.js';
import { call, T } from '../../src/kernel/libc.js';

function collect(s: Readable | Writable | null | undefined): Promise<string> {
  const r = s as Readable;
  let text = '';
  r.setEncoding('utf8');
  r.on('data', (d: string) => (text += d));
  return new Promise((resolve) => r.on('close', () => resolve(text)));
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync('/tmp/skiff-start-process-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('startProcess (posix_spawn)', () => {
  it('returns the exit status and the pid of the child it started', async () => {
    const p = startProcess({ path: '/bin/sh', args: ['-c', 'echo $$ >&1; exit 7'], io: ['ignore', 'from-child', 'inherit'] });
    const out = collect(p.streams[1]);
    expect(await p.wait()).toEqual({ code: 7 });
    expect(Number((await out).trim())).toBe(p.pid);
  });

  it('reports a death by signal, sent through its pidfd', async () => {
    const p = startProcess({ path: '/bin/sleep', args: ['30'], io: ['ignore', 'ignore', 'ignore'] });
    p.kill('SIGTERM');
    expect(await p.wait()).toEqual({ signal: 15 });
    p.kill('SIGTERM'); // reaped already: ignored, not thrown
  });

  it('wires streams both ways, passes a descriptor of ours as fd 3, and the environment', async () => {
    const file = join(dir, 'fd3');
    writeFileSync(file, 'from fd 3\n');
    const fd = openSync(file, 'r');
    try {
      const p = startProcess({
        path: '/bin/sh', args: ['-c', 'read line; echo "got $line $GREETING"; cat <&3; echo oops >&2'],
        io: ['to-child', 'from-child', 'from-child', fd], env: { GREETING: 'hello', PATH: '/usr/bin:/bin' },
      });
      const out = collect(p.streams[1]);
      const err = collect(p.streams[2]);
      (p.streams[0] as Writable).end('ping\n');
      expect(await p.wait()).toEqual({ code: 0 });
      expect(await out).toBe('got ping hello\nfrom fd 3\n');
      expect(await err).toBe('oops\n');
    } finally {
      closeSync(fd);
    }
  });

  it('gives the child only the descriptors listed, and every signal at its default action', async () => {
    // An fd of ours that is not close-on-exec must still not reach the child (closefrom after the list).
    const stray = openSync('/dev/null', 'r');
    call({ fn: 'fcntl', types: [T.I32, T.I32, T.I32], args: [stray, 2 /* F_SETFD */, 0], what: 'clear FD_CLOEXEC' });
    try {
      const p = startProcess({ path: '/bin/sh', args: ['-c', 'ls /proc/self/fd; grep -E "^Sig(Ign|Blk)" /proc/$$/status'], io: ['ignore', 'from-child', 'inherit'] });
      const out = await collect(p.streams[1]);
      expect(await p.wait()).toEqual({ code: 0 });
      const lines = out.trim().split('\n');
      // ls itself opens one directory fd (3) to list /proc/self/fd.
      expect(lines.filter((l) => /^\d+$/.test(l)).map(Number).filter((n) => n !== 3)).toEqual([0, 1, 2]);
      // Node ignores SIGPIPE (13) and SIGXFSZ (25): the child must not. glibc's posix_spawn leaves only its
      // two internal signals (32, 33) ignored; skiff-runtime resets those itself (launch.c).
      const ignored = BigInt('0x' + (lines.find((l) => l.startsWith('SigIgn:')) ?? '').slice(8));
      expect(ignored & ~0x180000000n).toBe(0n);
      expect(lines).toContain('SigBlk:\t0000000000000000');
    } finally {
      closeSync(stray);
    }
  });

  it('runs a child in a session of its own when asked', async () => {
    const p = startProcess({ path: '/bin/sh', args: ['-c', 'ps -o sid= -p $$'], io: ['ignore', 'from-child', 'inherit'], setsid: true });
    const out = await collect(p.streams[1]);
    await p.wait();
    expect(Number(out.trim())).toBe(p.pid);
  });

  it('throws a SkiffError naming the program when it cannot be started', () => {
    const start = () => startProcess({ path: join(dir, 'missing'), args: [], io: ['ignore', 'ignore', 'ignore'] });
    expect(start).toThrow(SkiffError);
    expect(start).toThrow(/missing: ENOENT/);
    const notExec = join(dir, 'not-executable');
    writeFileSync(notExec, '#!/bin/sh\n');
    chmodSync(notExec, 0o644);
    expect(() => startProcess({ path: notExec, args: [], io: ['ignore', 'ignore', 'ignore'] })).toThrow(/EACCES/);
  });

  it('lets a released child run on, and reaps it when it ends', async () => {
    const p = startProcess({ path: '/bin/sleep', args: ['0.2'], io: ['ignore', 'ignore', 'ignore', 'from-child'] });
    p.release();
    const state = () => {
      try {
        return (/State:\s+(\w)/.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8')) ?? [])[1];
      } catch {
        return 'gone';
      }
    };
    expect(['R', 'S']).toContain(state());
    // The once-a-second reaper collects it: no zombie is left behind.
    await new Promise((r) => setTimeout(r, 2500));
    expect(state()).toBe('gone');
  });
});

describe('launch', () => {
  it('turns a skiff-runtime that cannot start into ENATIVE with the rebuild hint', async () => {
    const native = join(dir, 'native');
    mkdirSync(native, { recursive: true });
    writeFileSync(join(native, 'skiff-runtime'), 'not a program');
    chmodSync(join(native, 'skiff-runtime'), 0o644);
    const saved = process.env.SKIFF_NATIVE_DIR;
    process.env.SKIFF_NATIVE_DIR = native;
    try {
      const plan = new Plan().child('exec', ['/bin', 'true'], 'run it');
      const err = await launch(plan, { stdio: 'ignore' }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(SkiffError);
      expect((err as SkiffError).code).toBe('ENATIVE');
      expect((err as SkiffError).message).toMatch(/cannot start skiff-runtime: .*EACCES/);
      expect((err as SkiffError).hint).toMatch(/npm run build:native/);
    } finally {
      if (saved === undefined) delete process.env.SKIFF_NATIVE_DIR;
      else process.env.SKIFF_NATIVE_DIR = saved;
    }
  });
});
