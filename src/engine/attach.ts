// `skiff attach ID`: connect the terminal to a running detached container through its supervisor's
// attach socket: its output streams here, keystrokes go to its pty; the detach keys (ctrl-p,ctrl-q by
// default, as Docker) leave it running. Ends with the container's exit code when it stops.
import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import { SkiffError } from '../errors.js';
import { attachSocketPath, readConfig, resolveContainer } from '../state/containers.js';
import { readExitFile, refreshState } from '../state/liveness.js';

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
  const tty = readConfig(id).Config.Tty && process.stdin.isTTY && !opts.noStdin;
  const sock = connect(path);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', (e) => reject(new SkiffError('ESTATE', `cannot attach: ${e.message}`, 'the container may just have stopped')));
  });
  sock.pipe(process.stdout);
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
  }
  await new Promise<void>((resolve) => sock.once('close', () => resolve()));
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
