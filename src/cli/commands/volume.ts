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
  v.command('inspect').argument('<name...>').description('display detailed information on volumes').action(async (names: string[]) => {
    const { getVolume } = await import('../../volumes/store.js');
    const found = names.map(getVolume);
    process.stdout.write(JSON.stringify(found.filter(Boolean), null, 4) + '\n');
    if (found.some((x) => !x)) process.exitCode = 1;
  });
}
