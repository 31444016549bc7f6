// start, stop, kill, restart: the verbs that change whether a container's process runs.
import type { Command } from 'commander';

async function each(refs: string[], fn: (ref: string) => Promise<unknown>): Promise<void> {
  const { eachArg } = await import('../each-arg.js');
  await eachArg(refs, fn);
}

export function registerStart(parent: Command): void {
  const start = parent.command('start');
  start.description('start one or more stopped containers').usage('[options] <container...>')
    .argument('[container...]').option('-a, --attach', 'attach STDOUT/STDERR and forward signals').option('-i, --interactive', 'attach STDIN')
    .option('--all', 'start all stopped containers (with --filter, those that match)')
    .option('--filter <filter>', 'with --all: restart-policy=no|always|unless-stopped|on-failure (repeatable)', (v: string, all: string[] = []) => [...all, v])
    .action(async (refs: string[], f: { attach?: boolean; interactive?: boolean; all?: boolean; filter?: string[] }) => {
      const { SkiffError } = await import('../../errors.js');
      if (f.all) {
        if (refs.length) throw new SkiffError('EUSAGE', '--all and container names cannot be combined', 'give either --all or the containers to start');
        const { restartPolicyFilter, startAll } = await import('../../engine/start-all.js');
        const r = await startAll(restartPolicyFilter(f.filter ?? []));
        for (const id of r.started) process.stdout.write(id + '\n');
        for (const { id, error } of r.failed) process.stderr.write(`Error response from daemon: ${id.slice(0, 12)}: ${(error as Error).message}\n`);
        if (r.failed.length) process.exitCode = 1;
        return;
      }
      // Docker's usage error (without --all, a name is required): usage-errors.ts words it.
      if (refs.length === 0) start.error('missing argument', { code: 'commander.missingArgument' });
      const { startExisting } = await import('../../engine/lifecycle.js');
      if (f.attach || f.interactive) {
        const r = await startExisting(refs[0]!, true);
        process.exitCode = r.exitCode ?? 0;
        return;
      }
      await each(refs, async (ref) => void (await startExisting(ref, false)));
    });
}

export function registerStop(parent: Command): void {
  parent.command('stop').description('stop one or more running containers')
    .argument('<container...>').option('-t, --time <seconds>', 'seconds to wait before killing it (default: its --stop-timeout, else 10)').option('-s, --signal <signal>', 'signal to send (default: its --stop-signal, else TERM)')
    .action(async (refs: string[], f: { time?: string; signal?: string }) => {
      const { stopContainer, parseStopTimeout } = await import('../../engine/stop.js');
      const t = f.time === undefined ? undefined : parseStopTimeout(f.time);
      await each(refs, (ref) => stopContainer(ref, t, f.signal));
    });
}

export function registerRestart(parent: Command): void {
  parent.command('restart').description('restart one or more containers')
    .argument('<container...>').option('-t, --time <seconds>', 'seconds to wait before killing it (default: its --stop-timeout, else 10)')
    .action(async (refs: string[], f: { time?: string }) => {
      const { stopContainer, parseStopTimeout } = await import('../../engine/stop.js');
      const { startExisting } = await import('../../engine/lifecycle.js');
      const t = f.time === undefined ? undefined : parseStopTimeout(f.time);
      await each(refs, async (ref) => {
        await stopContainer(ref, t);
        await startExisting(ref, false);
      });
    });
}

export function registerKill(parent: Command): void {
  parent.command('kill').description('kill one or more running containers')
    .argument('<container...>').option('-s, --signal <signal>', 'signal to send', 'KILL')
    .action(async (refs: string[], f: { signal: string }) => {
      const { killContainer } = await import('../../engine/stop.js');
      await each(refs, (ref) => killContainer(ref, f.signal));
    });
}

/** Run by skiff-runtime when a detached container's process has ended. */
export function registerCleanup(container: Command): void {
  container.command('cleanup', { hidden: true }).argument('<id>')
    .action(async (id: string) => {
      const { finishContainer } = await import('../../engine/exit.js');
      const { resolveContainer } = await import('../../state/containers.js');
      await finishContainer(resolveContainer(id));
    });
}

/** Run by a container's supervisor on the healthcheck's interval (src/engine/health.ts). */
export function registerHealthcheck(container: Command): void {
  container.command('healthcheck', { hidden: true }).argument('<id>')
    .action(async (id: string) => {
      const { probeContainer } = await import('../../engine/health.js');
      await probeContainer(id);
    });
}
