import type { Command } from 'commander';
import { defineTwice, type Groups } from './image-groups.js';

export function registerTag(program: Command, groups: Groups): void {
  defineTwice(program, groups, 'tag', 'tag', (c) =>
    c
      .description('create a tag TARGET_IMAGE that refers to SOURCE_IMAGE')
      .argument('<source>', 'SOURCE_IMAGE[:TAG] or image id')
      .argument('<target>', 'TARGET_IMAGE[:TAG]')
      .action(async (source: string, target: string) => {
        const { tagImage } = await import('../../image/tag.js');
        await tagImage(source, target);
      }),
  );
}
