// `skiff volume create|ls|rm|inspect`: named volumes for `-v NAME:/path`.
import type { Command } from 'commander';

async function usedBy(name: string): Promise<string[]> {
  const { volumeUsers } = await import('../../engine/volume-users.js');
  return volumeUsers(name);
}

export function registerVolume(program: Command): void {
  const v = program.command('volume').description('manage volumes');
  const collect = (val: string, prev: string[] = []) => [...prev, val];
  v.command('create').argument('[name]').description('create a volume')
    .option('-d, --driver <driver>', 'specify volume driver name (local)', 'local')
    .option('-o, --opt <key=value>', 'set driver specific options: type, device, o (local driver)', collect)
    .option('--label <key=value>', 'set metadata for a volume', collect)
    .action(async (name: string | undefined, o: { driver: string; opt?: string[]; label?: string[] }) => {
      const { createVolume } = await import('../../volumes/store.js');
      const { SkiffError } = await import('../../errors.js');
      const { randomBytes } = await import('node:crypto');
      if (o.driver !== 'local') throw new SkiffError('EUSAGE', `create ${name ?? ''}: error looking up volume plugin ${o.driver}: plugin "${o.driver}" not found`, 'skiff has the local volume driver only', { exitCode: 1 });
      const pairs = (list: string[] | undefined, flag: string) => Object.fromEntries((list ?? []).map((kv) => {
        const i = kv.indexOf('=');
        if (flag === '--opt' && i <= 0) throw new SkiffError('EUSAGE', `invalid argument "${kv}" for "-o, --opt" flag: bad format for option: ${kv}`, 'write --opt key=value', { exitCode: 125 });
        return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
      }));
      const options = pairs(o.opt, '--opt');
      const labels = pairs(o.label, '--label');
      try {
        process.stdout.write(createVolume(name ?? randomBytes(32).toString('hex'), { options, labels }).Name + '\n');
      } catch (e) {
        // The daemon refused it: exit 1, as any verb but run/create.
        throw e instanceof SkiffError ? new SkiffError(e.code, e.message, e.hint, { exitCode: 1 }) : e;
      }
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
