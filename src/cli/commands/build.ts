// `skiff build` / `skiff image build`: build an image from a Dockerfile, as Docker's classic builder.
import type { Command } from 'commander';
import type { BuildFlags } from '../../engine/build-command.js';

const collect = (v: string, all: string[] = []): string[] => [...all, v];

function define(cmd: Command): void {
  cmd.description('build an image from a Dockerfile').argument('<path>', 'build context directory, or - to read a tar or a Dockerfile from stdin')
    .option('-t, --tag <name>', 'name and optionally a tag in the name:tag format (repeatable)', collect)
    .option('-f, --file <path>', 'name of the Dockerfile (default: PATH/Dockerfile; - reads it from stdin)')
    .option('--build-arg <arg>', 'set build-time variables', collect)
    .option('--label <label>', 'set metadata for an image (repeatable)', collect)
    .option('--target <stage>', 'set the target build stage to build')
    .option('--no-cache', 'do not use cache when building the image')
    .option('--pull', 'always attempt to pull a newer version of the base images')
    .option('-q, --quiet', 'suppress the build output and print image ID on success')
    .action(async (context: string, f: BuildFlags) => {
      const { buildCommand } = await import('../../engine/build-command.js');
      await buildCommand(context, f);
    });
}

export function registerBuild(program: Command, groups: { image: Command }): void {
  define(program.command('build'));
  define(groups.image.command('build'));
}
