// Tiny TCP servers and clients for network tests. A server answers every connection with the
// address it sees the client coming from, so tests can check NAT's effect on the source address.
// Run inside a netns with nsenter; all traffic stays in namespaces the suite created.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';

const SERVER = `
const net = require('net');
const [host, port] = [process.argv[1], Number(process.argv[2])];
net.createServer((s) => { s.on('error', () => {}); s.end(s.remoteAddress + '\\n'); })
  .listen({ host, port }, () => process.stdout.write('ready\\n'));`;

const CLIENT = `
const net = require('net');
const s = net.connect({ host: process.argv[1], port: Number(process.argv[2]) });
let out = '';
s.on('data', (d) => (out += d));
s.on('end', () => { process.stdout.write(out); process.exit(0); });
s.on('error', (e) => { process.stdout.write('ERR ' + e.code + '\\n'); process.exit(0); });
s.setTimeout(3000, () => { process.stdout.write('ERR TIMEOUT\\n'); process.exit(0); });`;

export interface Server { child: ChildProcess; stop(): Promise<void> }

/** `enter` = nsenter args (e.g. ['-t', pid, '--net']) or [] for the current netns. */
export async function startServer(enter: string[], host: string, port: number): Promise<Server> {
  const cmd = enter.length ? 'nsenter' : process.execPath;
  const args = enter.length ? [...enter, '--', process.execPath, '-e', SERVER, host, String(port)] : ['-e', SERVER, host, String(port)];
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('server did not start')), 10_000);
    child.stdout!.once('data', () => { clearTimeout(t); resolve(); });
    child.once('exit', (c) => { clearTimeout(t); reject(new Error(`server exited ${c}`)); });
  });
  return {
    child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    }),
  };
}

/** Connect and return what the server said (its view of our address), or "ERR <code>". */
export function ask(enter: string[], host: string, port: number): string {
  const cmd = enter.length ? 'nsenter' : process.execPath;
  const args = enter.length ? [...enter, '--', process.execPath, '-e', CLIENT, host, String(port)] : ['-e', CLIENT, host, String(port)];
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: 15_000 }).trim();
}
