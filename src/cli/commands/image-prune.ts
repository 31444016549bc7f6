import type { Command } from 'commander';
import { writeLines, type Groups } from './image-groups.js';

export function registerImagePrune(_program: Command, groups: Groups): void {
  groups.image
    .command('prune')
    .description('remove unused images (dangling ones; with -a every image no container uses)')
    .option('-a, --all', 'remove all images not used by a container')
    .option('-f, --force', 'do not prompt for confirmation')
    .action(async (o: { all?: boolean; force?: boolean }) => {
      if (!o.force) {
        process.stdout.write(`WARNING! This will remove all ${o.all ? 'images without at least one container associated to them' : 'dangling images'}.\nAre you sure you want to continue? [y/N] `);
        const answer = await new Promise<string>((resolve) => {
          process.stdin.once('data', (d) => resolve(String(d)));
          process.stdin.once('end', () => resolve(''));
        });
        process.stdin.pause();
        if (!/^y(es)?$/i.test(answer.trim())) return;
      }
      const { pruneImages } = await import('../../image/remove.js');
      const { humanSize } = await import('../../format/size.js');
      const { lines, reclaimed } = await pruneImages(!!o.all);
      if (lines.length) writeLines(['Deleted Images:', ...lines, '']);
      writeLines([`Total reclaimed space: ${humanSize(reclaimed)}`]);
    });
}
