// `skiff volume create|ls|rm|inspect`: named volumes for `-v NAME:/path`.
import type { Command } from 'commander';

async function usedBy(name: string): Promise<string[]> {
  const { volumeUsers } = await import('../../engine/volume-users.js');
  return volumeUsers(name);
}

export function registerVolume(program: Command): void {
  const v = program.command('volume').description('manage volumes');
  v.command('create').argument('[name]').description('create a volume').action(async (name?: string) => {
    const { createVolume } = await import('../../volumes/store.js');
    const { randomBytes } = await import('node:crypto');
    process.stdout.write(createVolume(name ?? randomBytes(32).toString('hex')).Name + '\n');
  });
  v.command('ls').alias('list').description('list volumes').option('-q, --quiet', 'only display volume names')
    .option('--format <format>', 'format output using a Go template, "table", or "json"')
    .action(async (o: { quiet?: boolean; format?: string }) => {
      const { listVolumes } = await import('../../volumes/store.js');
      const vols = listVolumes();
      if (o.quiet) return void process.stdout.write(vols.map((x) => x.Name + '\n').join(''));
      const { formatRows } = await import('../../format/rows.js');
      // docker's VolumeContext: the fields a local volume has, N/A for the cluster ones.
      const rows = vols.map((x) => ({
        Name: x.Name, Driver: x.Driver, Scope: x.Scope, Mountpoint: x.Mountpoint, Labels: Object.entries(x.Labels).map(([k, val]) => `${k}=${val}`).join(','),
        Links: 'N/A', Size: 'N/A', Availability: 'N/A', Group: 'N/A', Status: 'N/A',
      }));
      process.stdout.write(formatRows(o.format, 'table {{.Driver}}\t{{.Name}}', rows,
        { Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE', Availability: 'AVAILABILITY', Group: 'GROUP', Status: 'STATUS' }));
    });
  v.command('rm').alias('remove').argument('<name...>').description('remove volumes')
    .option('-f, --force', 'force the removal of one or more volumes (a missing one is not an error)')
    .action(async (names: string[], o: { force?: boolean }) => {
      const { getVolume, removeVolume } = await import('../../volumes/store.js');
      const { eachArg } = await import('../each-arg.js');
      // Docker's -f: a volume that does not exist counts as removed; one in use is still refused.
      await eachArg(names, async (n) => (o.force && !getVolume(n) ? undefined : removeVolume(n, await usedBy(n))));
    });
  v.command('inspect').argument('<name...>').description('display detailed information on volumes')
    .option('-f, --format <format>', 'format output using a Go template, or "json"')
    .action(async (names: string[], o: { format?: string }) => {
      // The generic inspect narrowed to volumes: the same JSON, templates and docker's error line.
      const { inspectAny } = await import('../../engine/inspect-any.js');
      const { stdout, errors } = await inspectAny(names, 'volume', o.format);
      process.stdout.write(stdout);
      for (const e of errors) process.stderr.write(`skiff: ${e}\n`);
      if (errors.length) process.exitCode = 1;
    });
}
