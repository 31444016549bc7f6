// `skiff system service`: serve the Docker Engine API (podman's verb) for the docker CLI, compose,
// SDKs and testcontainers. Rootless, it runs inside the user's engine namespace like every verb.
import type { Command } from 'commander';

export function registerSystem(program: Command): Command {
  const system = program.command('system').description('manage skiff');
  system.command('service')
    .description('serve the Docker Engine API on a unix socket (foreground)')
    .option('--socket <path>', 'unix socket to listen on (default: /run/skiff/skiff.sock, rootless $XDG_RUNTIME_DIR/skiff/skiff.sock)')
    .option('--timeout <seconds>', 'exit after this many seconds without a client (0 = never)', '0')
    .option('--group <name>', 'let this group use the socket (root-equivalent!)')
    .option('--host <url>', 'also listen on tcp://ADDR:PORT (no authentication)')
    .action(async (f: { socket?: string; timeout: string; group?: string; host?: string }) => {
      const { SkiffError } = await import('../../errors.js');
      const timeoutSec = Number(f.timeout);
      if (!Number.isFinite(timeoutSec) || timeoutSec < 0) throw new SkiffError('EUSAGE', `invalid --timeout ${f.timeout}`, 'give seconds, e.g. --timeout 300 (0 = never)');
      const { runService } = await import('../../service/service.js');
      await runService({
        ...(f.socket ? { socket: f.socket } : {}), timeoutSec, ...(f.group ? { group: f.group } : {}), ...(f.host ? { host: f.host } : {}),
        log: (line) => process.stderr.write(`${line}\n`),
      });
    });
  return system;
}
