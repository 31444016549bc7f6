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
      const { inspectImage, formatTemplate } = await import('../../image/inspect.js');
      const { dockerJson } = await import('../../engine/inspect.js');
      const docs = images.map(inspectImage);
      if (o.format) process.stdout.write(docs.map((d) => formatTemplate(o.format!, d)).join('\n') + '\n');
      else process.stdout.write(dockerJson(docs) + '\n');
    });
}
