// `skiff rm` and `skiff container rm`: like Docker, each argument is tried; names of the removed
// ones are echoed, failures reported one per line, and the status is 1 if any failed.
import type { Command } from 'commander';

function defineRm(cmd: Command): Command {
  return cmd
    .description('remove one or more containers')
    .argument('<container...>', 'container name or id')
    .option('-f, --force', 'force the removal of a running container (uses SIGKILL)')
    .option('-v, --volumes', 'remove anonymous volumes associated with the container (none are created yet)')
    .action(async (refs: string[], o: { force?: boolean }) => {
      const { resolveContainer } = await import('../../state/containers.js');
      const { removeContainer } = await import('../../engine/remove.js');
      const { eachArg } = await import('../each-arg.js');
      await eachArg(refs, (ref) => removeContainer(resolveContainer(ref), { force: o.force }));
    });
}

export function registerRm(program: Command, groups: { container: Command }): void {
  defineRm(program.command('rm'));
  defineRm(groups.container.command('rm').alias('remove'));
}
