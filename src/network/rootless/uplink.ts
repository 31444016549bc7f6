// The rootless engine's way out and in: slirp4netns attached to the engine's netns (tap0
// 10.0.2.100/24, gateway 10.0.2.2, DNS 10.0.2.3) for outbound traffic and published UDP ports, and
// skiff-portfwd (native-bindings/portfwd) for published TCP ports (see publish.ts).
//
// Why slirp4netns and not pasta for the way out (numbers in docs/networking.md): its API socket
// adds/removes host forwards at run time; Debian 12's pasta takes its port list only on the command
// line, so every `run -p` would need a restart of the engine's uplink. Why skiff-portfwd for TCP:
// slirp4netns carries every byte through a userspace TCP/IP stack (≈2.7 Gbit/s here); skiff-portfwd
// splices kernel sockets, as rootlesskit's builtin port driver does.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readlinkSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../../errors.js';
import { storePaths } from '../../state/paths.js';
import { readJsonIfExists, writeJsonAtomic } from '../../state/atomic.js';
import { trace } from '../../trace.js';
import { call, T } from '../../kernel/libc.js';
import { nativeBinary } from '../../native.js';
import { SOCKET_MARK } from './source-routing.js';

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
  /** skiff-portfwd, the TCP port forwarder; absent in records written before it existed. */
  portfwd?: { pid: number; socket: string };
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

/** Resolves when `fd` of `child` says ready; rejects when the child fails first or time runs out. */
async function readyOn(child: ChildProcess, fd: number, timeoutMs: number): Promise<void> {
  const ready = child.stdio[fd] as NodeJS.ReadableStream;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
      child.once('error', (e) => { clearTimeout(timer); reject(e); });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited with ${code}`)); });
      ready.once('data', () => { clearTimeout(timer); resolve(); });
    });
  } finally {
    (ready as unknown as { destroy(): void }).destroy();
  }
}

/**
 * skiff-portfwd binds published TCP ports in the caller's (the host's) netns; its helper child joins
 * the engine's user+net namespaces to make the sockets that reach containers. It reads the same
 * --exit-fd as slirp4netns, so it ends with the engine's holder.
 */
async function startPortfwd(enginePid: number, run: string, exitRead: number, timeoutMs: number): Promise<{ pid: number; socket: string }> {
  const socket = join(run, 'portfwd.sock');
  const log = openSync(join(run, 'portfwd.log'), 'a', 0o600);
  let child;
  try {
    child = spawn(nativeBinary('skiff-portfwd'), ['--socket', socket, '--pid', String(enginePid), '--mark', String(SOCKET_MARK), '--ready-fd', '3', '--exit-fd', '4'],
      { detached: true, stdio: ['ignore', log, log, 'pipe', exitRead] });
  } finally {
    closeSync(log);
  }
  try {
    await readyOn(child, 3, timeoutMs);
  } catch (e) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw new SkiffError('ENETWORK', `skiff-portfwd could not attach to the engine namespace: ${(e as Error).message}`, `see ${join(run, 'portfwd.log')}`, { cause: e });
  }
  child.removeAllListeners();
  child.unref();
  return { pid: child.pid!, socket };
}

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
  } catch (e) {
    closeSync(exitRead);
    throw e;
  } finally {
    closeSync(log);
    closeSync(exitWrite); // exitRead stays open until skiff-portfwd has it too
  }
  watcher.unref();
  let portfwd;
  try {
    await readyOn(child, 3, opts.timeoutMs ?? 10_000);
  } catch (e) {
    if (child.exitCode === null) child.kill('SIGKILL');
    watcher.kill('SIGKILL');
    closeSync(exitRead);
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new SkiffError('ENETWORK', `slirp4netns could not attach to the engine namespace: ${(e as Error).message}`,
      missing ? 'install slirp4netns (apt-get install slirp4netns)' : `see ${join(run, 'slirp4netns.log')}`, { cause: e });
  }
  try {
    portfwd = await startPortfwd(enginePid, run, exitRead, opts.timeoutMs ?? 10_000);
  } catch (e) {
    child.kill('SIGKILL');
    watcher.kill('SIGKILL');
    throw e;
  } finally {
    closeSync(exitRead);
  }
  child.removeAllListeners();
  child.unref();
  const uplink: Uplink = { pid: child.pid!, enginePid, apiSocket, guestAddr: GUEST_ADDR, tap: 'tap0', watcherPid: watcher.pid!, portfwd };
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
    if (uplink.portfwd && readlinkSync(`/proc/${uplink.portfwd.pid}/exe`).endsWith('skiff-portfwd')) process.kill(uplink.portfwd.pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  if (uplink.portfwd) rmSync(uplink.portfwd.socket, { force: true });
  try {
    if (uplink.watcherPid && /\/(da|ba)?sh$/.test(readlinkSync(`/proc/${uplink.watcherPid}/exe`))) process.kill(uplink.watcherPid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  rmSync(uplink.apiSocket, { force: true });
  rmSync(uplinkFile(run ?? storePaths().run), { force: true });
}

function alive(pid: number, exe: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`).endsWith(exe);
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
  if (old && old.enginePid === enginePid && alive(old.pid, 'slirp4netns') && old.portfwd && alive(old.portfwd.pid, 'skiff-portfwd')) return old;
  if (old) stopEngineUplink(old, opts.run);
  return startEngineUplink(enginePid, opts);
}
