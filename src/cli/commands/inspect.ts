// `skiff inspect` and `skiff container inspect`: Docker-shaped JSON, or a --format template.
import type { Command } from 'commander';

function defineInspect(cmd: Command): Command {
  return cmd
    .description('display detailed information on one or more containers')
    .argument('<container...>', 'container name or id')
    .option('-f, --format <format>', 'format output using a Go template')
    .option('-s, --size', 'display total file sizes (accepted for compatibility)')
    .action(async (refs: string[], o: { format?: string }) => {
      const { inspectText } = await import('../../engine/inspect.js');
      const { stdout, missing } = await inspectText(refs, o.format);
      process.stdout.write(stdout);
      for (const ref of missing) process.stderr.write(`skiff: No such container: ${ref}\n`);
      if (missing.length) process.exitCode = 1;
    });
}

export function registerInspect(program: Command, groups: { container: Command }): void {
  defineInspect(program.command('inspect'));
  defineInspect(groups.container.command('inspect'));
}
