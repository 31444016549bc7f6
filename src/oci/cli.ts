// skiff-oci: skiff as an OCI runtime, with runc's command line, so containerd, podman and
// runtime-tools can drive it unchanged. Entry of `bin/skiff-oci` (and of `skiff oci …`). Each verb's
// code is imported only when it runs: this process starts once per container step.
import { Command, CommanderError, Option } from 'commander';
import { appendFileSync, writeSync } from 'node:fs';
import { SkiffError, asSkiffError } from '../errors.js';
import { trace } from '../trace.js';

interface Globals { root?: string; log?: string; logFormat?: string; debug?: boolean; systemdCgroup?: boolean }

let globals: Globals = {};

async function store() {
  const { OciStore, defaultRoot } = await import('./state.js');
  return new OciStore(globals.root ?? defaultRoot());
}

function collect(v: string, prev: string[]): string[] { return [...prev, v]; }

/**
 * Output straight to descriptors 1 and 2 (never process.stdout/stderr, which bind to the first caller's
 * kind of file): a warm worker serves many callers, each with its own stdio dup'ed onto 1 and 2.
 */
export function writeOut(fd: 1 | 2, text: string): void {
  const buf = Buffer.from(text);
  for (let off = 0; off < buf.length;) {
    try {
      off += writeSync(fd, buf, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return;  // the reader went away: nothing to tell
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

function refuse(verb: string, why: string, hint: string): never {
  throw new SkiffError('EUSAGE', `${verb}: ${why}`, hint);
}

export function buildProgram(): Command {
  const program = new Command('skiff-oci');
  program
    .description('skiff as an OCI runtime (runc\'s command line)')
    .option('--root <dir>', 'where container state lives')
    .option('--log <file>', 'also write errors to this file')
    .addOption(new Option('--log-format <format>', 'text or json').choices(['text', 'json']).default('text'))
    .option('--debug', 'print every launch step')
    .option('--systemd-cgroup', 'use systemd for cgroups (not supported)')
    .option('--rootless <value>', 'ignored: skiff-oci detects rootless by the effective uid')
    .option('--criu <path>', 'ignored: checkpoint/restore is not supported')
    .version('skiff-oci 0.1.0\nspec: 1.0.2', '-v, --version')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (str) => writeOut(1, str), writeErr: (str) => writeOut(2, str),
      outputError: (str, write) => write(`skiff-oci: ${str.replace(/^error: /, '')}`),
    });
  program.hook('preAction', () => {
    globals = program.opts<Globals>();
    if (globals.debug) trace.enable();
    if (globals.systemdCgroup) refuse('--systemd-cgroup', 'skiff-oci manages no cgroups through systemd', 'drop --systemd-cgroup (containerd: SystemdCgroup = false)');
  });

  program.command('create').description('create a container: set up, hooks run, waiting for start')
    .option('-b, --bundle <dir>', 'bundle directory', '.').option('--pid-file <file>').option('--console-socket <path>')
    .option('--no-pivot').option('--no-new-keyring').option('--preserve-fds <n>')
    .argument('<id>')
    .action(async (id: string, o: { bundle: string; pidFile?: string; consoleSocket?: string }) => {
      const { create } = await import('./create.js');
      const s = await store();
      await create({ root: s.root, id, bundle: o.bundle, pidFile: o.pidFile, consoleSocket: o.consoleSocket });
    });

  program.command('run').description('create and start a container; wait for it unless --detach')
    .option('-b, --bundle <dir>', 'bundle directory', '.').option('--pid-file <file>').option('--console-socket <path>')
    .option('-d, --detach').option('--no-pivot').option('--no-new-keyring').option('--preserve-fds <n>')
    .argument('<id>')
    .action(async (id: string, o: { bundle: string; pidFile?: string; consoleSocket?: string; detach?: boolean }) => {
      const { create } = await import('./create.js');
      const s = await store();
      if (o.detach) {
        await create({ root: s.root, id, bundle: o.bundle, pidFile: o.pidFile, consoleSocket: o.consoleSocket });
        (await import('./lifecycle.js')).start(s, id);
      } else {
        process.exitCode = await create({ root: s.root, id, bundle: o.bundle, pidFile: o.pidFile, consoleSocket: o.consoleSocket, foreground: true });
      }
    });

  program.command('start').argument('<id>').description('let a created container run its process')
    .action(async (id: string) => (await import('./lifecycle.js')).start(await store(), id));

  program.command('state').argument('<id>').description('print the container\'s OCI state as JSON')
    .action(async (id: string) => {
      const s = await store();
      writeOut(1, JSON.stringify(s.state(s.read(id)), null, 2) + '\n');
    });

  program.command('kill').argument('<id>').argument('[signal]', 'signal name or number', 'TERM').option('-a, --all', 'signal every process of the container')
    .description('send a signal to the container\'s init (or all its processes)')
    .action(async (id: string, sig: string, o: { all?: boolean }) => (await import('./lifecycle.js')).kill(await store(), id, sig, !!o.all));

  program.command('delete').argument('<id>').option('-f, --force', 'kill it first if it runs').description('remove a stopped (or created) container')
    .action(async (id: string, o: { force?: boolean }) => (await import('./lifecycle.js')).remove(await store(), id, !!o.force));

  program.command('exec').argument('<id>').argument('[command...]')
    .option('-p, --process <file>').option('--console-socket <path>').option('--cwd <dir>').option('-e, --env <var>', 'add an environment variable', collect, [])
    .option('-t, --tty').option('-u, --user <uid[:gid]>').option('-g, --additional-gids <gid>', 'extra group', collect, [])
    .option('-c, --cap <cap>', 'add a capability', collect, []).option('--no-new-privs').option('-d, --detach').option('--pid-file <file>')
    .option('--process-label <label>').option('--apparmor <profile>').option('--preserve-fds <n>').option('--cgroup <path>').option('--ignore-paused')
    .passThroughOptions()
    .description('run another process in the container')
    .action(async (id: string, args: string[], o: { process?: string; consoleSocket?: string; cwd?: string; env: string[]; tty?: boolean; user?: string; additionalGids: string[]; cap: string[]; newPrivs?: boolean; detach?: boolean; pidFile?: string }) => {
      const { exec } = await import('./exec.js');
      process.exitCode = await exec(await store(), id, {
        processFile: o.process, args, cwd: o.cwd, env: o.env, tty: o.tty, user: o.user, additionalGids: o.additionalGids, caps: o.cap,
        noNewPrivs: o.newPrivs === false, detach: o.detach, pidFile: o.pidFile, consoleSocket: o.consoleSocket,
      });
    });

  program.command('ps').argument('<id>').argument('[ps-args...]').addOption(new Option('-f, --format <format>').choices(['table', 'json']).default('table'))
    .description('list the container\'s processes')
    .action(async (id: string, psArgs: string[], o: { format: string }) => { writeOut(1, (await import('./info.js')).ps(await store(), id, o.format, psArgs)); });

  program.command('list').alias('ls').addOption(new Option('-f, --format <format>').choices(['table', 'json']).default('table')).option('-q, --quiet')
    .description('list containers')
    .action(async (o: { format: string; quiet?: boolean }) => { writeOut(1, (await import('./info.js')).list(await store(), o.format, !!o.quiet)); });

  program.command('features').description('what this runtime supports, as JSON')
    .action(async () => { writeOut(1, (await import('./info.js')).features()); });

  program.command('spec').option('-b, --bundle <dir>', 'where to write config.json', '.').option('--rootless', 'a config for an unprivileged user')
    .description('write a starting config.json')
    .action(async (o: { bundle: string; rootless?: boolean }) => (await import('./info.js')).spec(o.bundle, !!o.rootless));

  program.command('pause').argument('<id>').description('freeze every process of the container (cgroup v1 freezer)')
    .action(async (id: string) => (await import('./lifecycle.js')).freeze(await store(), id, 'FROZEN'));
  program.command('resume').argument('<id>').description('thaw a paused container')
    .action(async (id: string) => (await import('./lifecycle.js')).freeze(await store(), id, 'THAWED'));
  program.command('update').argument('<id>').allowUnknownOption().option('-r, --resources <file>', 'linux.resources as JSON ("-": stdin)')
    .description('change the cgroup limits of a container')
    .action(async (id: string, o: { resources?: string }) => {
      if (!o.resources) refuse('update', 'only --resources FILE is supported', 'give the new linux.resources as a JSON file');
      const { readFileSync } = await import('node:fs');
      let res: Record<string, unknown>;
      try {
        res = JSON.parse(readFileSync(o.resources === '-' ? 0 : o.resources, 'utf8')) as Record<string, unknown>;
      } catch (e) {
        throw new SkiffError('EUSAGE', `update --resources: ${(e as Error).message}`, 'give linux.resources as a JSON object');
      }
      const s = await store();
      const dirs = s.read(id).cgroupDirs;
      const v2 = await import('./cgroup-v2.js');
      const root = v2.v2Root();
      if (root && dirs?.some((d) => d.startsWith(root + '/'))) v2.updateV2(dirs, res, root);
      else (await import('./cgroup-v1.js')).updateV1(dirs, res);
    });
  program.command('checkpoint').argument('<id>').allowUnknownOption().action(() => refuse('checkpoint', 'checkpoint/restore (CRIU) is not supported by skiff-oci', 'use runc or crun for checkpoints'));
  program.command('restore').argument('<id>').allowUnknownOption().action(() => refuse('restore', 'checkpoint/restore (CRIU) is not supported by skiff-oci', 'use runc or crun for checkpoints'));
  return program;
}

function reportError(e: unknown): number {
  const err = asSkiffError(e);
  const msg = err.oneLine();
  writeOut(2, `skiff-oci: ${msg}\n`);
  if (globals.log) {
    const line = globals.logFormat === 'json' ? JSON.stringify({ level: 'error', msg, time: new Date().toISOString() }) : `time="${new Date().toISOString()}" level=error msg="${msg}"`;
    try { appendFileSync(globals.log, line + '\n'); } catch { /* the log is best effort */ }
  }
  return 1;
}

/** One command in a warm worker (src/warm/worker.ts): the launcher the front door started, and nothing left from the last command. */
export async function mainForWorker(argv: string[], launcherFds: number[] | undefined): Promise<number> {
  globals = {};
  trace.disable();
  if (launcherFds) (await import('./launcher.js')).offerLauncherChannels(launcherFds);
  return main(argv);
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    return reportError(e);
  }
}

const isEntry = process.argv[1] && /(\/oci\.js|\/oci\/cli\.ts)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e) => process.exit(reportError(e)));
}
