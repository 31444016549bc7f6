// `skiff history` and `skiff image history`: an image's layers and the steps that made them, newest
// first, in Docker's columns (IMAGE CREATED CREATED BY SIZE COMMENT).
import { InvalidArgumentError, type Command } from 'commander';
import { defineTwice, writeLines, type Groups } from './image-groups.js';

/** Docker's boolean flag grammar for -H/--human: `-H`, `--human=false`, `--human false`. */
function parseBool(value: string): boolean {
  const v = value.replace(/^=/, ''); // `-H=false`: commander hands a short option's `=value` over whole
  if (/^(1|t|true)$/i.test(v)) return true;
  if (/^(0|f|false)$/i.test(v)) return false;
  throw new InvalidArgumentError(`"${v}" is not a boolean (true or false)`);
}

export function registerHistory(program: Command, groups: Groups): void {
  defineTwice(program, groups, 'history', 'history', (c) =>
    c
      .description('show the history of an image')
      .argument('<image>', 'IMAGE (name or id)')
      .option('-H, --human [bool]', 'print sizes and dates in human readable format (default true)', parseBool, true)
      .option('--no-trunc', "don't truncate output")
      .option('-q, --quiet', 'only show image IDs')
      .option('--format <format>', 'format output using a Go template ({{.ID}} {{.CreatedBy}}), "table …", "table" or "json"')
      .action(async (image: string, o: { human: boolean; trunc: boolean; quiet?: boolean; format?: string }) => {
        const { imageHistory } = await import('../../image/history.js');
        const { historyTable } = await import('../../image/format.js');
        writeLines(historyTable(imageHistory(image), { human: o.human, noTrunc: !o.trunc, quiet: !!o.quiet, ...(o.format !== undefined ? { format: o.format } : {}) }));
      }),
  );
}
