import type { Command } from 'commander';
import { defineTwice, type Groups } from './image-groups.js';

export function registerTag(program: Command, groups: Groups): void {
  defineTwice(program, groups, 'tag', 'tag', (c) =>
    c
      .description('create a tag TARGET_IMAGE that refers to SOURCE_IMAGE')
      .argument('<source>', 'SOURCE_IMAGE[:TAG] or image id')
      .argument('<target>', 'TARGET_IMAGE[:TAG]')
      .action(async (source: string, target: string) => {
        const { parseReference } = await import('../../image/reference.js');
        const { assignTag, requireImage, tagOf, withImageStore } = await import('../../image/store.js');
        const { SkiffError } = await import('../../errors.js');
        const ref = parseReference(target);
        if (ref.digest) throw new SkiffError('EREFERENCE', `refusing to create a tag with a digest reference: ${target}`, 'tags are NAME[:TAG]');
        await withImageStore(() => assignTag(requireImage(source).id, tagOf(ref)!));
      }),
  );
}
