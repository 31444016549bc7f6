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
  v.command('ls').alias('list').description('list volumes').option('-q, --quiet', 'only display volume names').action(async (o: { quiet?: boolean }) => {
    const { listVolumes } = await import('../../volumes/store.js');
    const vols = listVolumes();
    if (o.quiet) return void process.stdout.write(vols.map((x) => x.Name + '\n').join(''));
    const { renderTable } = await import('../../format/table.js');
    process.stdout.write(renderTable([['DRIVER', 'VOLUME NAME'], ...vols.map((x) => [x.Driver, x.Name])]));
  });
  v.command('rm').alias('remove').argument('<name...>').description('remove volumes').action(async (names: string[]) => {
    const { removeVolume } = await import('../../volumes/store.js');
    const { eachArg } = await import('../each-arg.js');
    await eachArg(names, async (n) => removeVolume(n, await usedBy(n)));
  });
  v.command('inspect').argument('<name...>').description('display detailed information on volumes').action(async (names: string[]) => {
    const { getVolume } = await import('../../volumes/store.js');
    const found = names.map(getVolume);
    process.stdout.write(JSON.stringify(found.filter(Boolean), null, 4) + '\n');
    if (found.some((x) => !x)) process.exitCode = 1;
  });
}
