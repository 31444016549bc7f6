// `skiff run` / `skiff container run`: create a container from an image and start it.
import type { Command } from 'commander';
import { addRunOptions, type RunFlags } from './run-options.js';

export function registerRun(parent: Command): void {
  const cmd = parent.command('run').description('create and run a new container from an image')
    .argument('<image>', 'image to run').argument('[command...]', 'command and arguments')
    .usage('[options] <image> [command] [arg...]');
  addRunOptions(cmd, 'run').action(async (image: string, command: string[], flags: RunFlags) => {
    const { runCommand } = await import('../../engine/run-command.js');
    process.exitCode = await runCommand(image, command, flags);
  });
}
