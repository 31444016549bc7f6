import type { Command } from 'commander';
import { defineTwice, writeLines, type Groups } from './image-groups.js';

export function registerRmi(program: Command, groups: Groups): void {
  defineTwice(program, groups, 'rmi', 'rm', (c) =>
    c
      .description('remove one or more images')
      .argument('<image...>', 'IMAGE (name or id)')
      .option('-f, --force', 'untag even when a container uses the image')
      .action(async (images: string[], o: { force?: boolean }) => {
        const { removeImage } = await import('../../image/remove.js');
        const { asSkiffError } = await import('../../errors.js');
        let failed = false;
        for (const i of images) {
          try {
            writeLines(await removeImage(i, !!o.force));
          } catch (e) {
            // like Docker: report each failure, go on with the rest, exit non-zero at the end
            const err = asSkiffError(e);
            if (images.length === 1) throw err;
            process.stderr.write(`skiff: ${err.oneLine()}\n`);
            failed = true;
          }
        }
        if (failed) process.exitCode = 1;
      }),
    ['remove'],
  );
}
