// The verbs around the engine itself and its containers' processes: `version`, `info`, `events`, `top`,
// `wait`, `pause`/`unpause`, `search`, and under `system`: `df`, `prune`, `info`, `events`. Docker's
// flags, Docker's output (src/engine/system-text.ts), Docker's exit codes.
import type { Command } from 'commander';

const collect = (v: string, acc: string[]): string[] => [...acc, v];

function defineEvents(cmd: Command): void {
  cmd.description('get real time events from the server')
    .option('-f, --filter <filter>', 'filter output based on conditions provided (container, event, image, label, network, type, volume)', collect, [])
    .option('--format <format>', 'format output using a Go template, or "json"')
    .option('--since <time>', 'show all events created since timestamp (RFC 3339, Unix seconds, or a duration like 10m)')
    .option('--until <time>', 'stream events until this timestamp')
    .action(async (o: { filter: string[]; format?: string; since?: string; until?: string }) => {
      const { eventsCommand } = await import('../../engine/events.js');
      await eventsCommand({ filters: o.filter, ...(o.format !== undefined ? { format: o.format } : {}), ...(o.since ? { since: o.since } : {}), ...(o.until ? { until: o.until } : {}) });
    });
}

function defineInfo(cmd: Command): void {
  cmd.description('display system-wide information').option('-f, --format <format>', 'format output using a Go template, or "json"')
    .action(async (o: { format?: string }) => {
      const { infoText } = await import('../../engine/system-text.js');
      const r = await infoText(o.format);
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
    });
}

/** Docker's prompt; stdin that is closed or not `y` means no. */
async function confirm(warning: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`${warning}Are you sure you want to continue? [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    return false;
  } finally {
    rl.close();
  }
}

function defineEach(cmd: Command, verb: 'pause' | 'unpause'): void {
  cmd.description(verb === 'pause' ? 'pause all processes within one or more containers' : 'unpause all processes within one or more containers')
    .argument('<container...>')
    .action(async (refs: string[]) => {
      const { pauseContainer, unpauseContainer } = await import('../../engine/pause.js');
      const { eachArg } = await import('../each-arg.js');
      await eachArg(refs, verb === 'pause' ? pauseContainer : unpauseContainer);
    });
}

function defineTop(cmd: Command): void {
  cmd.description('display the running processes of a container').argument('<container>').argument('[ps-options...]')
    .usage('<container> [ps options]').allowUnknownOption(true).helpOption('--help', 'display help for command')
    .action(async (ref: string, psArgs: string[]) => {
      const { resolveContainer } = await import('../../state/containers.js');
      const { refreshState } = await import('../../state/liveness.js');
      const { containerTop, topTable } = await import('../../engine/top.js');
      const { SkiffError } = await import('../../errors.js');
      const id = resolveContainer(ref);
      const s = await refreshState(id);
      if (!s.Running) throw new SkiffError('ESTATE', `container ${id} is not running`, `start it first: \`skiff start ${ref}\``, { exitCode: 1 });
      process.stdout.write(topTable(await containerTop(s, psArgs.length ? psArgs.join(' ') : '-ef')));
    });
}

function defineWait(cmd: Command): void {
  cmd.description('block until one or more containers stop, then print their exit codes').argument('<container...>')
    .action(async (refs: string[]) => {
      const { resolveContainer } = await import('../../state/containers.js');
      const { waitContainer } = await import('../../engine/wait.js');
      const { reportError } = await import('../report.js');
      let failed = false;
      for (const ref of refs) {
        try {
          const r = await waitContainer(resolveContainer(ref), 'not-running');
          process.stdout.write(`${r?.StatusCode ?? ''}\n`);
        } catch (e) {
          reportError(e);
          failed = true;
        }
      }
      if (failed) process.exitCode = 1;
    });
}

export function registerSystemVerbs(program: Command, groups: { container: Command }, system: Command): void {
  program.command('version').description('show the skiff version information')
    .option('-f, --format <format>', 'format output using a Go template, or "json"')
    .action(async (o: { format?: string }) => {
      const { versionText } = await import('../../engine/system-text.js');
      process.stdout.write(versionText(o.format));
    });
  defineInfo(program.command('info'));
  defineInfo(system.command('info'));
  defineEvents(program.command('events'));
  defineEvents(system.command('events'));
  for (const parent of [program, groups.container]) {
    defineEach(parent.command('pause'), 'pause');
    defineEach(parent.command('unpause'), 'unpause');
    defineTop(parent.command('top'));
    defineWait(parent.command('wait'));
  }
  program.command('search').description('search a registry for images').argument('<term>')
    .option('-f, --filter <filter>', 'filter output based on conditions provided', collect, []).option('--limit <n>', 'max number of search results')
    .option('--no-trunc', "don't truncate output").option('--format <format>', 'pretty-print search using a Go template')
    .action(async (term: string) => {
      const { SkiffError } = await import('../../errors.js');
      // Docker Hub's search index is a web service, not part of the registry protocol; skiff works
      // offline against the lab mirror and registries, which have nothing to search.
      throw new SkiffError('EREGISTRY', `cannot search for "${term}": skiff has no image index to search (Docker Hub's search service is not reachable offline, and registries do not offer search)`,
        'pull a known name with `skiff pull NAME` (`skiff lab load` imports every lab image)', { exitCode: 1 });
    });
  system.command('df').description('show skiff disk usage').option('-v, --verbose', 'show detailed information on space usage')
    .option('--format <format>', 'format output using a Go template, "table", or "json"')
    .action(async (o: { verbose?: boolean; format?: string }) => {
      const { dfText } = await import('../../engine/system-text.js');
      process.stdout.write(await dfText(o));
    });
  system.command('prune').description('remove unused data')
    .option('-a, --all', 'remove all unused images not just dangling ones').option('--volumes', 'prune anonymous volumes')
    .option('-f, --force', 'do not prompt for confirmation').option('--filter <filter>', 'provide filter values (not supported yet)', collect, [])
    .action(async (o: { all?: boolean; volumes?: boolean; force?: boolean; filter: string[] }) => {
      const { SkiffError } = await import('../../errors.js');
      if (o.filter.length) throw new SkiffError('EUSAGE', `skiff system prune does not support --filter yet`, 'prune without --filter, or use `skiff container prune --filter until=…`', { exitCode: 1 });
      const { pruneWarning, systemPrune } = await import('../../engine/system-prune.js');
      if (!o.force && !(await confirm(pruneWarning(o)))) return;
      process.stdout.write(await systemPrune(o));
    });
}
