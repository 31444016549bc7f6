// `skiff attach` / `skiff container attach`: attach the terminal to a running container.
import type { Command } from 'commander';

export function registerAttach(parent: Command): void {
  parent.command('attach').description('attach local standard input, output, and error streams to a running container')
    .argument('<container>').option('--detach-keys <keys>', 'override the key sequence for detaching a container', 'ctrl-p,ctrl-q')
    .option('--no-stdin', 'do not attach STDIN')
    .action(async (ref: string, o: { detachKeys: string; stdin: boolean }) => {
      const { attachContainer } = await import('../../engine/attach.js');
      process.exitCode = await attachContainer(ref, { detachKeys: o.detachKeys, noStdin: !o.stdin });
    });
}
