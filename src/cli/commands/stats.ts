// `skiff stats` / `skiff container stats`: live resource usage of containers.
import type { Command } from 'commander';

function define(cmd: Command): void {
  cmd.description('display a live stream of container(s) resource usage statistics')
    .argument('[container...]').option('-a, --all', 'show all containers (default shows just running)')
    .option('--no-stream', 'disable streaming stats and only pull the first result')
    .option('--format <format>', 'format output using a Go template, "table", or "json"')
    .option('--no-trunc', "don't truncate output (accepted; ids are shown short)")
    .action(async (refs: string[], o: { all?: boolean; stream: boolean; format?: string }) => {
      const { statsCommand } = await import('../../engine/stats.js');
      await statsCommand({ refs, all: o.all, noStream: !o.stream, ...(o.format ? { format: o.format } : {}) });
    });
}

export function registerStats(program: Command, groups: { container: Command }): void {
  define(program.command('stats'));
  define(groups.container.command('stats'));
}
