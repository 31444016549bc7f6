// `skiff image inspect`: Docker's JSON (4-space indent, <>& escaped as Go does) or a Go template.
import type { Command } from 'commander';
import { type Groups } from './image-groups.js';

export function registerImageInspect(_program: Command, groups: Groups): void {
  groups.image
    .command('inspect')
    .description('show details of one or more images as Docker-shaped JSON')
    .argument('<image...>', 'IMAGE (name or id)')
    .option('-f, --format <template>', 'print one field, e.g. {{.Id}} or {{.Config.Cmd}}')
    .action(async (images: string[], o: { format?: string }) => {
      // The generic inspect narrowed to images: `[]` and docker's error line for a name that is not here.
      const { inspectAny } = await import('../../engine/inspect-any.js');
      const { stdout, errors } = await inspectAny(images, 'image', o.format);
      process.stdout.write(stdout);
      for (const e of errors) process.stderr.write(`skiff: ${e}\n`);
      if (errors.length) process.exitCode = 1;
    });
}
