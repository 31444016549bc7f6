import type { Command } from 'commander';
import { defineTwice, type Groups } from './image-groups.js';

export function registerSave(program: Command, groups: Groups): void {
  defineTwice(program, groups, 'save', 'save', (c) =>
    c
      .description('save one or more images to a tar archive (streamed to STDOUT by default)')
      .argument('<image...>', 'IMAGE (name or id)')
      .option('-o, --output <file>', 'write to a file instead of stdout')
      .option('--format <format>', 'docker-archive or oci', 'docker-archive')
      .action(async (images: string[], o: { output?: string; format: string }) => {
        const { SkiffError } = await import('../../errors.js');
        if (o.format !== 'docker-archive' && o.format !== 'oci' && o.format !== 'oci-archive') {
          throw new SkiffError('EUSAGE', `unknown format "${o.format}"`, 'use --format docker-archive or --format oci');
        }
        if (!o.output && process.stdout.isTTY) throw new SkiffError('EUSAGE', 'cowardly refusing to save to a terminal', 'use the -o flag or redirect');
        const { saveImages } = await import('../../image/save-load.js');
        await saveImages(images, o.format === 'docker-archive' ? 'docker-archive' : 'oci', o.output ?? process.stdout);
      }),
  );
}
