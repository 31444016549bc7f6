// `skiff attach ID`: connect to a running container through its supervisor's attach socket: its output
// streams here (with a pty as it comes; without one in Docker's stdcopy frames, so stdout and stderr stay
// apart), keystrokes go to its pty or, for a container started with -i, to its stdin; the detach keys
// (ctrl-p,ctrl-q by default, as Docker) leave it running. Ends with the container's exit code when it stops.
import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import { SkiffError } from '../errors.js';
import { attachSocketPath, readConfig, resolveContainer } from '../state/containers.js';
import { readExitFile, refreshState } from '../state/liveness.js';
import { recordContainerEvent } from '../state/events.js';

/** Docker's --detach-keys: "ctrl-p,ctrl-q", "ctrl-a,x" … into the bytes to watch for. */
export function parseDetachKeys(spec: string): number[] {
  return spec.split(',').map((k) => {
    const key = k.trim().toLowerCase();
    if (/^ctrl-[a-z@\[\\\]^_]$/.test(key)) return key.charCodeAt(5) & 0x1f;
    if (key.length === 1) return key.charCodeAt(0);
    throw new SkiffError('EUSAGE', `invalid detach keys (${spec})`, 'use e.g. ctrl-p,ctrl-q or ctrl-a,x');
  });
}

export async function attachContainer(ref: string, opts: { detachKeys?: string; noStdin?: boolean }): Promise<number> {
  const id = resolveContainer(ref);
  const state = await refreshState(id);
  if (!state.Running) throw new SkiffError('ESTATE', 'You cannot attach to a stopped container, start it first', `skiff start -a ${ref}`);
  const path = attachSocketPath(id);
  if (!existsSync(path)) throw new SkiffError('ESTATE', `container ${id.slice(0, 12)} was not started detached, so nothing can attach to it`, 'attach works for containers started with -d or `start`');
  const keys = parseDetachKeys(opts.detachKeys ?? 'ctrl-p,ctrl-q');
  const config = readConfig(id).Config;
  const tty = config.Tty && process.stdin.isTTY && !opts.noStdin;
  // No pty: pipe our stdin to the container's (it has one only with -i); EOF here is not EOF there.
  const pipeIn = !config.Tty && !!config.OpenStdin && !opts.noStdin;
  const sock = connect(path);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', (e) => reject(new SkiffError('ESTATE', `cannot attach: ${e.message}`, 'the container may just have stopped')));
  });
  recordContainerEvent(readConfig(id), 'attach');
  if (config.Tty) sock.pipe(process.stdout);
  else sock.on('data', demux());
  let detached = false;
  let matched = 0;
  const onKey = (chunk: Buffer) => {
    for (const b of chunk) {
      matched = b === keys[matched] ? matched + 1 : b === keys[0] ? 1 : 0;
      if (matched === keys.length) {
        detached = true;
        process.stderr.write('\r\nread escape sequence\r\n');
        sock.end();
        return;
      }
    }
    sock.write(chunk);
  };
  if (tty) {
    process.stdin.setRawMode(true);
    process.stdin.on('data', onKey);
  } else if (pipeIn) {
    process.stdin.on('data', (chunk: Buffer) => sock.write(chunk));
  }
  await new Promise<void>((resolve) => sock.once('close', () => resolve()));
  if (pipeIn) process.stdin.pause();
  if (tty) {
    process.stdin.setRawMode(false);
    process.stdin.off('data', onKey);
    process.stdin.pause();
  }
  if (detached) return 0;
  // The supervisor closes us only after writing the exit file; the state may not say so yet.
  const exit = readExitFile(id);
  if (exit) return exit.exitCode;
  const end = await refreshState(id);
  return end.Running ? 0 : end.ExitCode;
}

/** Docker's stdcopy frames (1 byte stream, 3 zero, 4 bytes big-endian length, payload) to stdout/stderr. */
export function demux(out: { stdout: (b: Buffer) => void; stderr: (b: Buffer) => void } = {
  stdout: (b) => process.stdout.write(b), stderr: (b) => process.stderr.write(b),
}): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 8) {
      const len = pending.readUInt32BE(4);
      if (pending.length < 8 + len) break;
      const payload = pending.subarray(8, 8 + len);
      if (pending[0] === 2) out.stderr(payload);
      else out.stdout(payload);
      pending = pending.subarray(8 + len);
    }
  };
}
