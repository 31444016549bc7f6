import type { Command } from 'commander';
import { collect, defineTwice, type Groups } from './image-groups.js';

export function registerPush(program: Command, groups: Groups): void {
  defineTwice(program, groups, 'push', 'push', (c) =>
    c
      .description('upload an image to a registry')
      .argument('<name>', 'NAME[:TAG]')
      .option('--insecure-registry <host>', 'allow plain http to this registry (repeatable)', collect, [])
      .option('-q, --quiet', 'suppress verbose output')
      .action(async (name: string, o: { insecureRegistry: string[]; quiet?: boolean }) => {
        const { pushImage } = await import('../../image/push.js');
        const { plainProgress, ttyProgress } = await import('../../image/progress.js');
        const out = (l: string) => process.stdout.write(`${l}\n`);
        const progress = o.quiet ? { line() {}, layer() {}, done() {} } : process.stdout.isTTY ? ttyProgress(process.stdout) : plainProgress(out);
        await pushImage(name, progress, { insecureRegistries: o.insecureRegistry });
      }),
  );
}
