// Network namespaces for networking tests. The guard refuses to run in the machine's own netns:
// every link, address, route and nft rule a test makes must land in a namespace the suite created
// (`npm test` wraps vitest in `unshare --net` as root).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';

// Kernels ≥ 6.x give the initial netns a fixed inode (PROC_NET_INIT_INO = 0xEFFFFFF9); on older ones
// compare with PID 1's, when this sandbox lets us read it.
const PROC_NET_INIT_INO = 0xeffffff9;

export function inInitialNetns(): boolean {
  const mine = statSync('/proc/self/ns/net').ino;
  if (mine === PROC_NET_INIT_INO) return true;
  try {
    return mine === statSync('/proc/1/ns/net').ino;
  } catch {
    return false;
  }
}

/** Throw loudly when the test would touch the host's own network namespace. */
export function assertSuiteNetns(): void {
  if (inInitialNetns()) {
    throw new Error('refusing to run: this process is in the host\'s initial network namespace. Use `npm test` (as root), or ' +
      "unshare --net --mount --propagation private --fork sh -c 'ip link set lo up; npx vitest run …'");
  }
}

/** A process holding a fresh netns (optionally also a user namespace mapping root). */
export interface NsHolder { pid: number; netns: string; child: ChildProcess; kill(): Promise<void> }

export async function makeHolder(opts: { user?: boolean; runAs?: { uid: number; gid: number } } = {}): Promise<NsHolder> {
  const args = opts.user ? ['--user', '--map-root-user', '--net', 'sleep', 'infinity'] : ['--net', 'sleep', 'infinity'];
  const child = spawn('unshare', args, { stdio: 'ignore', ...(opts.runAs ? { uid: opts.runAs.uid, gid: opts.runAs.gid } : {}) });
  const pid = child.pid!;
  // unshare execs sleep in place, so the pid is the holder; wait until its netns differs from ours.
  const mine = statSync('/proc/self/ns/net').ino;
  for (let i = 0; i < 200; i++) {
    try {
      if (statSync(`/proc/${pid}/ns/net`).ino !== mine && readComm(pid) === 'sleep') break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    pid,
    netns: `/proc/${pid}/ns/net`,
    child,
    kill: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    }),
  };
}

function readComm(pid: number): string {
  return execFileSync('cat', [`/proc/${pid}/comm`], { encoding: 'utf8' }).trim();
}

/** Run a command inside the holder's netns. */
export function nsExec(pid: number, cmd: string[], opts: { user?: boolean; timeout?: number } = {}): string {
  const ns = opts.user ? ['--user', '--preserve-credentials', `--net`] : ['--net'];
  return execFileSync('nsenter', ['-t', String(pid), ...ns, '--', ...cmd], { encoding: 'utf8', timeout: opts.timeout ?? 20_000 });
}

export function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}
