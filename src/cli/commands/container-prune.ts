// `skiff container prune`: remove all stopped containers, asking first unless -f.
import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';

async function confirm(): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    return false; // stdin closed: no consent
  } finally {
    rl.close();
  }
}

export function registerContainerPrune(_program: Command, groups: { container: Command }): void {
  groups.container
    .command('prune')
    .description('remove all stopped containers')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <filter>', 'provide filter values (until=<timestamp or duration>)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .action(async (o: { force?: boolean; filter: string[] }) => {
      const { SkiffError } = await import('../../errors.js');
      const { parseTimeArg } = await import('../../format/duration.js');
      let until: number | undefined;
      for (const f of o.filter) {
        const m = /^until=(.+)$/.exec(f);
        const t = m ? parseTimeArg(m[1]!) : undefined;
        if (t === undefined) throw new SkiffError('EUSAGE', `invalid filter '${f}'`, 'container prune accepts until=<timestamp or duration>');
        until = t;
      }
      if (!o.force && !(await confirm())) return;
      const { pruneContainers } = await import('../../engine/remove.js');
      const { humanSize } = await import('../../format/size.js');
      const { deleted, reclaimedBytes } = await pruneContainers({ until });
      if (deleted.length) process.stdout.write(`Deleted Containers:\n${deleted.map((id) => `${id}\n`).join('')}\n`);
      process.stdout.write(`Total reclaimed space: ${humanSize(reclaimedBytes)}\n`);
    });
}
