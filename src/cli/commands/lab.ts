import type { Command } from 'commander';

export function registerLab(program: Command): void {
  const lab = program.command('lab').description('the chapter\'s lab images (built offline into OCI layouts)');
  lab
    .command('load')
    .description('import every lab image into the store (idempotent)')
    .action(async () => {
      const { loadLabImages } = await import('../../image/lab-load.js');
      for (const l of await loadLabImages()) process.stdout.write(`${l}\n`);
    });
}
