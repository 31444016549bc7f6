// The rootless engine's way out: slirp4netns attached to the engine's netns (tap0 10.0.2.100/24,
// gateway 10.0.2.2, DNS 10.0.2.3). It also carries published ports in (see publish.ts).
//
// Why slirp4netns and not pasta or a forwarder of our own (numbers in docs/networking.md):
//  - its API socket adds/removes host forwards at run time; Debian 12's pasta takes its port list
//    only on the command line, so every `run -p` would need a restart of the engine's uplink;
//  - a forwarder of our own would need a process in the host netns per engine anyway, plus the
//    outbound path slirp4netns already gives.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readlinkSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../../errors.js';
import { storePaths } from '../../state/paths.js';
import { readJsonIfExists, writeJsonAtomic } from '../../state/atomic.js';
import { trace } from '../../trace.js';
import { call, T } from '../../kernel/libc.js';

export interface Uplink {
  /** slirp4netns's pid (in the host pid namespace). */
  pid: number;
  enginePid: number;
  apiSocket: string;
  /** Where forwarded connections arrive inside the engine netns. */
  guestAddr: string;
  tap: string;
  /** The watcher (sh) that holds slirp4netns's --exit-fd open while the engine's holder lives. */
  watcherPid?: number;
}

export const GUEST_ADDR = '10.0.2.100';

const O_CLOEXEC = 0o2000000;

/** pipe2(O_CLOEXEC): the two fds reach only the children they are handed to. */
function cloexecPipe(): [number, number] {
  const fds = Buffer.alloc(8);
  call({ fn: 'pipe2', types: [T.U8Array, T.I32], args: [fds, O_CLOEXEC], what: 'pipe2 for slirp4netns --exit-fd' });
  return [fds.readInt32LE(0), fds.readInt32LE(4)];
}

export function uplinkFile(run = storePaths().run): string {
  return join(run, 'uplink.json');
}

export function readUplink(run?: string): Uplink | undefined {
  return readJsonIfExists<Uplink>(uplinkFile(run));
}

function sameNs(kind: string, pid: number): boolean {
  try {
    return readlinkSync(`/proc/self/ns/${kind}`) === readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return false;
  }
}

export interface UplinkOptions { run?: string; slirp4netns?: string; timeoutMs?: number }

/** Attach slirp4netns to the netns of `enginePid` and wait until tap0 is configured. */
export async function startEngineUplink(enginePid: number, opts: UplinkOptions = {}): Promise<Uplink> {
  const run = opts.run ?? storePaths().run;
  mkdirSync(run, { recursive: true, mode: 0o700 });
  const apiSocket = join(run, 'slirp4netns.sock');
  rmSync(apiSocket, { force: true });
  const args = ['--configure', '--mtu=65520', '--disable-host-loopback', `--api-socket=${apiSocket}`, '--ready-fd=3'];
  // Unprivileged, joining the engine's netns requires first joining the user namespace that owns it.
  if (!sameNs('user', enginePid)) args.push(`--userns-path=/proc/${enginePid}/ns/user`);
  args.push(String(enginePid), 'tap0');
  trace.step('helper', `slirp4netns ${args.join(' ')}`, 'outbound traffic and published ports for the rootless engine');
  // slirp4netns keeps the engine's netns alive through its tap fd, so it would outlive a dead holder.
  // Its --exit-fd ends it when the pipe's write end closes; that end is held by a small sh loop,
  // which exits when the holder does.
  const [exitRead, exitWrite] = cloexecPipe();
  args.splice(args.length - 2, 0, '--exit-fd=4');
  const log = openSync(join(run, 'slirp4netns.log'), 'a', 0o600);
  let child;
  let watcher;
  try {
    // Not `tail --pid`: kill(pid, 0) still succeeds on a zombie, and a holder whose parent is gone
    // may stay one for long where init reaps lazily; its namespaces are released at exit, though.
    watcher = spawn('sh', ['-c', 'while [ -e "/proc/$0/ns/net" ]; do sleep 0.5; done', String(enginePid)], { detached: true, stdio: ['ignore', 'ignore', 'ignore', exitWrite] });
    child = spawn(opts.slirp4netns ?? 'slirp4netns', args, { detached: true, stdio: ['ignore', log, log, 'pipe', exitRead] });
  } finally {
    closeSync(log);
    closeSync(exitRead);
    closeSync(exitWrite);
  }
  watcher.unref();
  const ready = child.stdio[3] as NodeJS.ReadableStream;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out')), opts.timeoutMs ?? 10_000);
      child.once('error', (e) => { clearTimeout(timer); reject(e); });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited with ${code}`)); });
      ready.once('data', () => { clearTimeout(timer); resolve(); });
    });
  } catch (e) {
    if (child.exitCode === null) child.kill('SIGKILL');
    watcher.kill('SIGKILL');
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new SkiffError('ENETWORK', `slirp4netns could not attach to the engine namespace: ${(e as Error).message}`,
      missing ? 'install slirp4netns (apt-get install slirp4netns)' : `see ${join(run, 'slirp4netns.log')}`, { cause: e });
  } finally {
    (ready as unknown as { destroy(): void }).destroy();
  }
  child.removeAllListeners();
  child.unref();
  const uplink: Uplink = { pid: child.pid!, enginePid, apiSocket, guestAddr: GUEST_ADDR, tap: 'tap0', watcherPid: watcher.pid! };
  writeJsonAtomic(uplinkFile(run), uplink, 0o600);
  return uplink;
}

/** Stop slirp4netns (the engine's holder is going away). Idempotent. */
export function stopEngineUplink(uplink: Uplink, run?: string): void {
  try {
    // Only our own slirp4netns: the pid must still be slirp4netns, not a recycled pid.
    const comm = readlinkSync(`/proc/${uplink.pid}/exe`);
    if (comm.endsWith('slirp4netns')) process.kill(uplink.pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  try {
    if (uplink.watcherPid && /\/(da|ba)?sh$/.test(readlinkSync(`/proc/${uplink.watcherPid}/exe`))) process.kill(uplink.watcherPid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  rmSync(uplink.apiSocket, { force: true });
  rmSync(uplinkFile(run ?? storePaths().run), { force: true });
}

function alive(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`).endsWith('slirp4netns');
  } catch {
    return false;
  }
}

/**
 * What the engine's holder start calls (from the host side): reuse the uplink when it is attached to
 * this holder and alive; otherwise stop a stale one (its holder died with the old netns) and start anew.
 */
export async function ensureEngineUplink(enginePid: number, opts: UplinkOptions = {}): Promise<Uplink> {
  const old = readUplink(opts.run);
  if (old && old.enginePid === enginePid && alive(old.pid)) return old;
  if (old) stopEngineUplink(old, opts.run);
  return startEngineUplink(enginePid, opts);
}
