import type { Command } from 'commander';
import { collect, defineTwice, type Groups } from './image-groups.js';

export function registerPull(program: Command, groups: Groups): void {
  defineTwice(program, groups, 'pull', 'pull', (c) =>
    c
      .description('download an image from a registry')
      .argument('<name>', 'NAME[:TAG|@DIGEST]')
      .option('--platform <os/arch>', 'platform to pull from a multi-platform image', undefined)
      .option('--insecure-registry <host>', 'allow plain http to this registry (repeatable)', collect, [])
      .option('-q, --quiet', 'print only the image name')
      .action(async (name: string, o: { platform?: string; insecureRegistry: string[]; quiet?: boolean }) => {
        const { parseReference, fullName } = await import('../../image/reference.js');
        const { pullReference } = await import('../../image/ensure.js');
        const { plainProgress, ttyProgress } = await import('../../image/progress.js');
        const ref = parseReference(name);
        const out = (l: string) => process.stdout.write(`${l}\n`);
        const progress = o.quiet ? { line() {}, layer() {}, done() {} } : process.stdout.isTTY ? ttyProgress(process.stdout) : plainProgress(out);
        if (!o.quiet && !name.includes('@') && !/:[\w][\w.-]*$/.test(name.slice(name.lastIndexOf('/') + 1))) out('Using default tag: latest');
        await pullReference(ref, progress, { ...(o.platform ? { platform: o.platform } : {}), insecureRegistries: o.insecureRegistry });
        out(`${fullName(ref)}${ref.digest ? `@${ref.digest}` : `:${ref.tag}`}`);
      }),
  );
}
