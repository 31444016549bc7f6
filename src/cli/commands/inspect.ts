// `skiff inspect` (any object: container, image, network, volume; --type narrows it) and
// `skiff container inspect`: Docker-shaped JSON, or a --format template.
import type { Command } from 'commander';

function defineInspect(cmd: Command, generic: boolean): Command {
  cmd
    .description(generic ? 'return low-level information on skiff objects' : 'display detailed information on one or more containers')
    .argument(generic ? '<name|id...>' : '<container...>', generic ? 'container, image, network or volume' : 'container name or id')
    .option('-f, --format <format>', 'format output using a Go template, or "json"')
    .option('-s, --size', 'display total file sizes (accepted for compatibility)');
  if (generic) cmd.option('--type <type>', 'only inspect objects of this type: container, image, network, volume');
  return cmd.action(async (refs: string[], o: { format?: string; type?: string }) => {
    const { inspectAny, parseInspectType } = await import('../../engine/inspect-any.js');
    const type = generic ? parseInspectType(o.type) : 'container';
    const { stdout, errors } = await inspectAny(refs, type, o.format);
    process.stdout.write(stdout);
    for (const e of errors) process.stderr.write(`skiff: ${e}\n`);
    if (errors.length) process.exitCode = 1;
  });
}

export function registerInspect(program: Command, groups: { container: Command }): void {
  defineInspect(program.command('inspect'), true).usage('[options] <name|id...>');
  defineInspect(groups.container.command('inspect'), false);
}
