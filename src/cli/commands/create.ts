// `skiff create` / `skiff container create`: make a container (printing its id) without starting it.
import type { Command } from 'commander';
import { addRunOptions, type RunFlags } from './run-options.js';

export function registerCreate(parent: Command): void {
  const cmd = parent.command('create').description('create a new container')
    .argument('<image>', 'image').argument('[command...]', 'command and arguments')
    .usage('[options] <image> [command] [arg...]');
  addRunOptions(cmd, 'create').action(async (image: string, command: string[], flags: RunFlags) => {
    const { requestFromFlags, prepareImage, writeCidfile } = await import('../../engine/run-command.js');
    const { createFromRequest } = await import('../../engine/run.js');
    const req = await requestFromFlags(image, command, flags);
    const config = await createFromRequest(req, await prepareImage(req));
    writeCidfile(flags.cidfile, config.Id);
    process.stdout.write(config.Id + '\n');
  });
}
