// An rtnetlink socket over ffi-rs: socket/bind/send/recv on Buffers, one request at a time.
//
// Why not the npm `netlink` package: it says "early stage; API compatibility is not maintained",
// and what skiff needs is ~10 message shapes (≈ 35 µs a request this way: docs/facts.md).
//
// Namespaces: setns(CLONE_NEWNET) moves only the calling thread (docs/facts.md). A socket keeps the
// namespace it was created in, so to talk to a container's netns we setns there, create the socket,
// and setns straight back — Node's main thread never stays in the container's namespace.
import { closeSync, openSync } from 'node:fs';
import { call, T } from './libc.js';
import { KernelError } from './errno.js';
import { SkiffError } from '../errors.js';
import { trace } from '../trace.js';
import { buildMessage, errorCode, NLM_F, NLMSG_DONE, NLMSG_ERROR, parseMessages, type Attr, type ParsedMessage } from './netlink-message.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
export const CLONE_NEWNET = 0x40000000;

/** Switch this thread's network namespace to the one open at `fd`. */
export function setnsNet(fd: number, what: string): void {
  call({ fn: 'setns', types: [T.I32, T.I32], args: [fd, CLONE_NEWNET], what });
}

/** Run `fn` with the main thread inside the netns at `netnsPath`; always comes back. */
export function inNetns<R>(netnsPath: string, fn: () => R): R {
  const home = openSync('/proc/thread-self/ns/net', 'r');
  const target = openSync(netnsPath, 'r');
  try {
    setnsNet(target, `setns into ${netnsPath}`);
    try {
      return fn();
    } finally {
      try {
        setnsNet(home, 'setns back to the engine network namespace');
      } catch (e) {
        // Staying in the container's namespace would make every later socket land there: stop hard.
        process.stderr.write(`skiff: fatal: could not return to own network namespace: ${String(e)}\n`);
        process.exit(70);
      }
    }
  } finally {
    closeSync(target);
    closeSync(home);
  }
}

export class NetlinkSocket {
  private seq = Math.floor(Math.random() * 1e6);
  private readonly rx = Buffer.alloc(64 * 1024);
  private closed = false;

  private constructor(readonly fd: number, readonly where: string) {}

  /** A NETLINK_ROUTE socket in this thread's netns, or in `netnsPath` (e.g. /proc/<pid>/ns/net). */
  static open(netnsPath?: string): NetlinkSocket {
    const make = (): number => {
      const fd = call({ fn: 'socket', types: [T.I32, T.I32, T.I32], args: [AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE], what: 'socket(AF_NETLINK)' });
      const sa = Buffer.alloc(12); // sockaddr_nl: family, pad, pid 0 (kernel assigns), groups 0
      sa.writeUInt16LE(AF_NETLINK, 0);
      try {
        call({ fn: 'bind', types: [T.I32, T.U8Array, T.I32], args: [fd, sa, sa.length], what: 'bind(AF_NETLINK)' });
      } catch (e) {
        call({ fn: 'close', types: [T.I32], args: [fd] });
        throw e;
      }
      return fd;
    };
    const fd = netnsPath ? inNetns(netnsPath, make) : make();
    return new NetlinkSocket(fd, netnsPath ?? 'engine netns');
  }

  /**
   * Send one request and collect its replies. `what` names the request in errors and --trace
   * ("add bridge skiff0"). Throws KernelError with the kernel's errno on a NACK.
   */
  request(type: number, flags: number, fixed: Buffer, attrs: Attr[], what: string): ParsedMessage[] {
    if (this.closed) throw new SkiffError('EINTERNAL', `netlink socket used after close (${what})`);
    const seq = ++this.seq;
    const dump = (flags & NLM_F.DUMP) === NLM_F.DUMP;
    const msg = buildMessage(type, flags | NLM_F.REQUEST, seq, fixed, attrs);
    trace.step('netlink', what, this.where === 'engine netns' ? undefined : `in ${this.where}`);
    const sent = call({ fn: 'send', ret: T.I64, types: [T.I32, T.U8Array, T.I64, T.I32], args: [this.fd, msg, msg.length, 0], what: `netlink send (${what})` });
    if (sent !== msg.length) throw new SkiffError('ENETWORK', `netlink: short send for ${what}`);
    const replies: ParsedMessage[] = [];
    for (;;) {
      const n = call({ fn: 'recv', ret: T.I64, types: [T.I32, T.U8Array, T.I64, T.I32], args: [this.fd, this.rx, this.rx.length, 0], what: `netlink recv (${what})` });
      for (const m of parseMessages(Buffer.from(this.rx.subarray(0, n)))) {
        if (m.seq !== seq) continue; // a late answer to an earlier request
        if (m.type === NLMSG_ERROR) {
          const errno = errorCode(m);
          if (errno !== 0) throw new KernelError('netlink', errno, what);
          return replies; // ACK
        }
        if (m.type === NLMSG_DONE) return replies;
        replies.push(m);
        if (!dump && !(m.flags & NLM_F.MULTI) && !(flags & NLM_F.ACK)) return replies;
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    call({ fn: 'close', types: [T.I32], args: [this.fd], what: 'close netlink socket' });
  }
}

/** Open, use, close. */
export function withNetlink<R>(fn: (nl: NetlinkSocket) => R, netnsPath?: string): R {
  const nl = NetlinkSocket.open(netnsPath);
  try {
    return fn(nl);
  } finally {
    nl.close();
  }
}
