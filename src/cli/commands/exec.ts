// `skiff exec` / `skiff container exec`: run a command in a running container.
import type { Command } from 'commander';

const collect = (v: string, all: string[] = []): string[] => [...all, v];

export function registerExec(parent: Command): void {
  parent.command('exec').description('execute a command in a running container')
    .argument('<container>').argument('<command...>')
    .option('-i, --interactive', 'keep STDIN open').option('-t, --tty', 'allocate a pseudo-TTY')
    .option('-e, --env <var>', 'set an environment variable', collect).option('-w, --workdir <dir>', 'working directory')
    .option('-u, --user <user>', 'username or UID').option('-d, --detach', 'run the command in the background')
    .option('--detach-keys <keys>', 'override the key sequence for detaching the command')
    .passThroughOptions()
    .action(async (ref: string, command: string[], f: import('../../engine/exec.js').ExecFlags) => {
      const { execInContainer } = await import('../../engine/exec.js');
      process.exitCode = await execInContainer(ref, command, f);
    });
}
