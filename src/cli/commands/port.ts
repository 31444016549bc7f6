// `skiff port` and `skiff container port`: the published ports of a running container.
import type { Command } from 'commander';

function definePort(cmd: Command): Command {
  return cmd
    .description('list port mappings or a specific mapping for the container')
    .argument('<container>', 'container name or id')
    .argument('[private-port]', 'PORT[/tcp|udp]')
    .action(async (ref: string, privatePort?: string) => {
      const { resolveContainer } = await import('../../state/containers.js');
      const { containerPorts } = await import('../../network/index.js');
      const { portCommandLines } = await import('../../network/port-spec.js');
      const { SkiffError } = await import('../../errors.js');
      const id = resolveContainer(ref);
      const lines = portCommandLines(await containerPorts(id), privatePort);
      if (!lines) {
        const [num, proto = 'tcp'] = privatePort!.split('/');
        throw new SkiffError('EUSAGE', `No public port '${num}/${proto.toLowerCase()}' published for ${ref}`, 'skiff port CONTAINER lists what is published', { exitCode: 1 });
      }
      for (const l of lines) process.stdout.write(l + '\n');
    });
}

export function registerPort(program: Command, groups: { container: Command }): void {
  definePort(program.command('port'));
  definePort(groups.container.command('port'));
}
