// `skiff ps`, `skiff container ls|ps|list` (and `skiff ls`, the short form the lifecycle issue uses).
import type { Command } from 'commander';

const collect = (v: string, acc: string[]): string[] => [...acc, v];

function defineList(cmd: Command): Command {
  return cmd
    .description('list containers')
    .option('-a, --all', 'show all containers (default shows just running)')
    .option('-q, --quiet', 'only display container IDs')
    .option('--no-trunc', "don't truncate output")
    .option('-f, --filter <filter>', 'filter output based on conditions provided (status=, name=, id=, exited=, label=, ancestor=)', collect, [])
    .option('--format <format>', 'format output using a Go template, "table", or "json"')
    .option('-n, --last <n>', 'show n last created containers (includes all states)', (v) => Number.parseInt(v, 10))
    .option('-l, --latest', 'show the latest created container (includes all states)')
    .option('-s, --size', 'display total file sizes')
    .action(async (o: { all?: boolean; quiet?: boolean; trunc: boolean; filter: string[]; format?: string; last?: number; latest?: boolean; size?: boolean }) => {
      const { psText } = await import('../../engine/ps.js');
      process.stdout.write(await psText({ all: o.all, quiet: o.quiet, noTrunc: !o.trunc, filters: o.filter, format: o.format, last: o.last, latest: o.latest, size: o.size }));
    });
}

export function registerPs(program: Command, groups: { container: Command }): void {
  defineList(program.command('ps'));
  defineList(program.command('ls', { hidden: true }));
  defineList(groups.container.command('ls').aliases(['ps', 'list']));
}
