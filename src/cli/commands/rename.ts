// `skiff rename` and `skiff container rename`.
import type { Command } from 'commander';

function defineRename(cmd: Command): Command {
  return cmd
    .description('rename a container')
    .argument('<container>', 'container name or id')
    .argument('<new-name>', 'the new name')
    .action(async (ref: string, newName: string) => {
      const { resolveContainer, renameContainer } = await import('../../state/containers.js');
      await renameContainer(resolveContainer(ref), newName);
    });
}

export function registerRename(program: Command, groups: { container: Command }): void {
  defineRename(program.command('rename'));
  defineRename(groups.container.command('rename'));
}
