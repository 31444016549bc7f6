// `skiff build` / `skiff image build`: build an image from a Dockerfile.
import type { Command } from 'commander';

const collect = (v: string, all: string[] = []): string[] => [...all, v];

function define(cmd: Command): void {
  cmd.description('build an image from a Dockerfile').argument('<path>', 'build context directory')
    .option('-t, --tag <name>', 'name and optionally a tag in the name:tag format', collect)
    .option('-f, --file <path>', 'name of the Dockerfile (default: PATH/Dockerfile)')
    .option('--build-arg <arg>', 'set build-time variables', collect)
    .option('--target <stage>', 'set the target build stage to build')
    .option('-q, --quiet', 'suppress the build output and print image ID on success')
    .action(async (context: string, f: { tag?: string[]; file?: string; buildArg?: string[]; target?: string; quiet?: boolean }) => {
      const { buildCommand } = await import('../../engine/build.js');
      await buildCommand(context, f);
    });
}

export function registerBuild(program: Command, groups: { image: Command }): void {
  define(program.command('build'));
  define(groups.image.command('build'));
}
