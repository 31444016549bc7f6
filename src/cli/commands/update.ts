// `skiff update` / `skiff container update`: change the limits (or restart policy) of containers.
import type { Command } from 'commander';

function define(cmd: Command): void {
  cmd.description('update configuration of one or more containers').argument('<container...>')
    .option('-m, --memory <bytes>', 'memory limit').option('--memory-swap <bytes>', 'swap limit equal to memory plus swap: -1 for unlimited')
    .option('--cpus <n>', 'number of CPUs').option('-c, --cpu-shares <n>', 'CPU shares (relative weight)')
    .option('--pids-limit <n>', 'tune container pids limit (-1 for unlimited)').option('--cpuset-cpus <list>', 'CPUs in which to allow execution')
    .option('--restart <policy>', 'restart policy to apply when a container exits')
    .action(async (refs: string[], f: Record<string, string | undefined>) => {
      const { updateContainer } = await import('../../engine/update.js');
      const { eachArg } = await import('../each-arg.js');
      await eachArg(refs, (ref) => updateContainer(ref, f));
    });
}

export function registerUpdate(program: Command, groups: { container: Command }): void {
  define(program.command('update'));
  define(groups.container.command('update'));
}
