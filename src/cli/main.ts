// Entry point of the `skiff` command. Kept tiny: it parses global flags, registers every verb
// (definitions only; each verb's engine code is imported when the verb runs) and turns any thrown
// error into one line on stderr and Docker 28's exit codes: 125 for run errors before the container
// starts (and create's flag errors), 126/127 for exec failures, 1 for every other command's failure.
import { Command, CommanderError } from 'commander';
import { reportError } from './report.js';
import { asSkiffError, type SkiffError } from '../errors.js';
import { registerAll } from './commands/index.js';
import { applyGlobalOptions } from './global-options.js';
import { VERSION_LINE } from './version.js';
import { commandPath, dockerUsage, useDockerUsageErrors } from './usage-errors.js';

/** The verb whose action is running (set before it runs): its errors' exit status depends on it. */
let running: Command | undefined;

/** Errors the docker CLI finds itself, parsing `create`'s flags, before it asks the daemon anything (EINVALID is the daemon's). */
const CLIENT_SIDE = new Set(['EUSAGE', 'EPORT', 'EREFERENCE']);

/**
 * Docker keeps 125 for `run` (the container never started) and for the flag errors `create` finds
 * before it calls the daemon; `create` exits 1 for what the daemon refuses (a name in use, a missing
 * image), as docker 28 does. An exec whose process could not be started is 126 (the daemon's exec
 * exit code); any other verb's failure is 1.
 */
function exitStatusFor(path: string | undefined, err: SkiffError): number {
  if (err.exitCode !== 125 || !path || err.code === 'EFLAG') return err.exitCode;
  if (/^skiff (container )?run$/.test(path)) return 125;
  if (/^skiff (container )?create$/.test(path)) return CLIENT_SIDE.has(err.code) ? 125 : 1;
  if (/^skiff (container )?exec$/.test(path) && err.code === 'ELAUNCH') return 126;
  return 1;
}

export function buildProgram(): Command {
  const program = new Command('skiff');
  program
    .description('a small rootless container engine: run the Docker chapter\'s commands on plain Linux')
    .option('--trace', 'print every kernel step the engine takes (namespaces, mounts, netlink, nft, cgroups)')
    .option('--log-level <level>', 'diagnostic logs on stderr: debug, info, warn, error', 'silent')
    .version(VERSION_LINE, '-v, --version', 'print the version')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .configureOutput({
      outputError: (str, write) => write(`skiff: ${str.replace(/^error: /, '').trim()}\n`),
    })
    .exitOverride();
  program.hook('preAction', async (_this, action) => {
    running = action;
    await applyGlobalOptions(program.opts(), action);
  });
  registerAll(program);
  useDockerUsageErrors(program);
  return program;
}

// Verbs that never touch the store run wherever the CLI was started; every other verb of an
// ordinary user runs inside the rootless engine namespace.
const OUTSIDE_ENGINE = new Set(['doctor', 'help', '--help', '-v', '--version', 'version', 'lab-build', 'completion']);

function firstVerb(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--log-level') { i++; continue; }
    if (a.startsWith('--log-level=') || a === '--trace') continue;
    return a;
  }
  return undefined;
}

/** `skiff system service` (any global options before it). */
function isServiceVerb(argv: string[]): boolean {
  const words = argv.filter((a, i) => !a.startsWith('-') && argv[i - 1] !== '--log-level');
  return words[0] === 'system' && words[1] === 'service';
}

/** Run one command; `program` may be built ahead of time (the front door's worker does). */
export async function main(argv: string[], program?: Command): Promise<number> {
  const verb = firstVerb(argv);
  if (verb && !OUTSIDE_ENGINE.has(verb) && process.getuid?.() !== 0) {
    try {
      const { needsEngineNamespace, reexecInEngine } = await import('../rootless/engine-ns.js');
      if (needsEngineNamespace()) {
        if (argv.includes('--trace')) (await import('../trace.js')).trace.enable();
        if (isServiceVerb(argv)) {
          // This process stays on the host side for the service's registry traffic (loopback-relay.ts).
          const { storePaths } = await import('../state/paths.js');
          const { startLoopbackRelay } = await import('../rootless/loopback-relay.js');
          const path = `${storePaths().run}/host-loopback.sock`;
          const relay = await startLoopbackRelay(path);
          process.env.SKIFF_HOST_LOOPBACK = path;
          try {
            return await reexecInEngine(argv);
          } finally {
            relay.close();
            (await import('node:fs')).rmSync(path, { force: true });
          }
        }
        return await reexecInEngine(argv);
      }
    } catch (e) {
      reportError(e);
      // No verb ran yet (the engine namespace could not be entered): the status Docker gives that verb's failure.
      const words = argv.filter((a) => !a.startsWith('-'));
      return exitStatusFor(['skiff', ...words.slice(0, words[0] === 'container' ? 2 : 1)].join(' '), asSkiffError(e));
    }
  }
  program ??= buildProgram();
  running = undefined;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed (usage-errors.ts).
      return e.exitCode;
    }
    const err = asSkiffError(e);
    if (running && FLAG_VALUE.test(err.message)) {
      // A flag value refused: cobra's flag error as docker prints it, usage and all, exit 125 for every verb.
      const path = commandPath(running);
      process.stderr.write(`${err.message}\n\nUsage:  ${dockerUsage(running)}\n\nRun '${path} --help' for more information\n`);
      return 125;
    }
    reportError(e);
    return exitStatusFor(running && commandPath(running), err);
  }
}

/** pflag's wording for a value its flag's type refuses (`invalid argument "x" for "--shm-size" flag: …`). */
const FLAG_VALUE = /^invalid argument ".*" for "[^"]+" flag: /s;

const isEntry = process.argv[1] && /cli\.(js|ts)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => process.exit(reportError(e)),
  );
}
