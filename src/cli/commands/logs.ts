// `skiff logs` and `skiff container logs`.
import type { Command } from 'commander';

function defineLogs(cmd: Command): Command {
  return cmd
    .description('fetch the logs of a container')
    .argument('<container>', 'container name or id')
    .option('-f, --follow', 'follow log output')
    .option('-n, --tail <n>', 'number of lines to show from the end of the logs', 'all')
    .option('-t, --timestamps', 'show timestamps')
    .option('--since <time>', 'show logs since timestamp (e.g. 2026-11-25T12:00:00Z) or relative (e.g. 42m)')
    .option('--until <time>', 'show logs before a timestamp or relative time')
    .option('--details', 'show extra details (accepted for compatibility)')
    .action(async (ref: string, o: { follow?: boolean; tail: string; timestamps?: boolean; since?: string; until?: string }) => {
      const { resolveContainer } = await import('../../state/containers.js');
      const { streamLogs } = await import('../../engine/logs.js');
      await streamLogs(resolveContainer(ref), o, {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
      });
    });
}

export function registerLogs(program: Command, groups: { container: Command }): void {
  defineLogs(program.command('logs'));
  defineLogs(groups.container.command('logs'));
}
