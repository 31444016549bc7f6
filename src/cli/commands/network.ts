// `skiff network create|ls|rm|inspect`: user-defined bridge networks.
import type { Command } from 'commander';

export function registerNetwork(program: Command): void {
  const net = program.command('network').description('manage networks');
  net.command('create').argument('<name>').description('create a network')
    .option('-d, --driver <driver>', 'driver to manage the network', 'bridge').option('--subnet <cidr>', 'subnet in CIDR format')
    .action(async (name: string, o: { driver?: string; subnet?: string }) => {
      const { networkCreate } = await import('../../engine/network.js');
      process.stdout.write((await networkCreate(name, o)) + '\n');
    });
  net.command('ls').alias('list').description('list networks').option('-q, --quiet', 'only display network IDs')
    .option('--format <format>', 'format output using a Go template, "table", or "json"')
    .action(async (o: { quiet?: boolean; format?: string }) => {
      const { networkLs } = await import('../../engine/network.js');
      process.stdout.write(networkLs(!!o.quiet, o.format));
    });
  net.command('rm').alias('remove').argument('<network...>').description('remove one or more networks')
    .action(async (refs: string[]) => {
      const { networkRm } = await import('../../engine/network.js');
      const { eachArg } = await import('../each-arg.js');
      await eachArg(refs, networkRm);
    });
  net.command('inspect').argument('<network...>').description('display detailed information on one or more networks')
    .option('-f, --format <format>', 'format output using a Go template, or "json"')
    .action(async (refs: string[], o: { format?: string }) => {
      // The generic inspect narrowed to networks: the same JSON, templates and docker's error line.
      const { inspectAny } = await import('../../engine/inspect-any.js');
      const { stdout, errors } = await inspectAny(refs, 'network', o.format);
      process.stdout.write(stdout);
      for (const e of errors) process.stderr.write(`skiff: ${e}\n`);
      if (errors.length) process.exitCode = 1;
    });
  net.command('prune').description('remove all unused networks').option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <filter>', 'provide filter values (not supported yet)')
    .action(async (o: { force?: boolean }) => {
      if (!o.force) {
        const { createInterface } = await import('node:readline/promises');
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        const answer = await rl.question('WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ').catch(() => '');
        rl.close();
        if (!/^y(es)?$/i.test(answer.trim())) return;
      }
      const { networkPrune } = await import('../../engine/network.js');
      const gone = await networkPrune();
      if (gone.length) process.stdout.write(`Deleted Networks:\n${gone.map((n) => `${n}\n`).join('')}`);
    });
}
