// `skiff stats` / `skiff container stats`: live resource usage of containers.
import type { Command } from 'commander';

function define(cmd: Command): void {
  cmd.description('display a live stream of container(s) resource usage statistics')
    .argument('[container...]').option('-a, --all', 'show all containers (default shows just running)')
    .option('--no-stream', 'disable streaming stats and only pull the first result')
    .action(async (refs: string[], o: { all?: boolean; stream: boolean }) => {
      const { statsCommand } = await import('../../engine/stats.js');
      await statsCommand({ refs, all: o.all, noStream: !o.stream });
    });
}

export function registerStats(program: Command, groups: { container: Command }): void {
  define(program.command('stats'));
  define(groups.container.command('stats'));
}
