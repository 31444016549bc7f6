import type { Command } from 'commander';
import { defineTwice, writeLines, type Groups } from './image-groups.js';

export function registerLoad(program: Command, groups: Groups): void {
  defineTwice(program, groups, 'load', 'load', (c) =>
    c
      .description('load an image from a tar archive or STDIN')
      .option('-i, --input <file>', 'read from a file instead of stdin')
      .option('-q, --quiet', 'suppress the load output')
      .action(async (o: { input?: string; quiet?: boolean }) => {
        const { SkiffError } = await import('../../errors.js');
        if (!o.input && process.stdin.isTTY) throw new SkiffError('EUSAGE', 'requested load from stdin, but stdin is empty', 'use -i FILE or redirect an archive into stdin');
        const { loadArchive } = await import('../../image/save-load.js');
        const lines = await loadArchive(o.input ?? process.stdin);
        if (!o.quiet) writeLines(lines);
      }),
  );
}
