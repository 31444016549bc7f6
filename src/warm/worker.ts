// A pre-started CLI process for the resident server (native-bindings/warm/server.c): it imports the
// CLI and the engine modules of the everyday verbs ahead of time, says 'R', then waits for exactly
// one command. It takes the caller's stdin/stdout/stderr from the server (pidfd_getfd) onto 0/1/2
// before anything touches process.stdout, adopts the caller's cwd, umask, env and argv, runs the
// command and exits with its code — so each command is still its own process (exit codes, signals,
// raw tty mode, globals), only Node's start-up has already happened.
import { readSync, writeSync } from 'node:fs';
import { claimCallerStdio, claimFds, closeOnExec, releaseCallerStdio } from './stdio-handover.js';
import { parseCommand, type WarmCommand } from './command.js';

const CTL = 3;
let served = false;

/** Modules the everyday verbs load on demand; importing them now takes them off the caller's clock. */
async function preload(): Promise<void> {
  await Promise.all([
    import('../engine/run-command.js'),
    import('../engine/ps.js'),
    import('../engine/logs.js'),
    import('../engine/exit.js'),
    import('../engine/lifecycle.js'),
    import('../engine/stop.js'),
    import('../engine/remove.js'),
    import('../engine/exec.js'),
    import('../state/containers.js'),
    import('../image/store.js'),
    import('../image/format.js'),
    import('../format/table.js'),
    import('../network/index.js'),
    import('../cgroups/index.js'),
    import('../spawn/launch.js'),
    import('../cli/each-arg.js'),
  ]);
}

function readExactly(n: number): Buffer | undefined {
  const buf = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    let r: number;
    try {
      r = readSync(CTL, buf, got, n - got, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN' || (e as NodeJS.ErrnoException).code === 'EINTR') continue;
      throw e;
    }
    if (r === 0) return undefined;
    got += r;
  }
  return buf;
}

type ServerFds = [number, number, number, number, number, number];

function awaitCommand(): { fds: ServerFds; command: WarmCommand } | undefined {
  const head = readExactly(28);
  if (!head) return undefined;
  const total = head.readUInt32LE(0);
  const body = readExactly(total - 24);
  if (!body) return undefined;
  const fds = [0, 1, 2, 3, 4, 5].map((i) => head.readInt32LE(4 + 4 * i)) as ServerFds;
  return { fds, command: parseCommand(body) };
}

function adopt(command: WarmCommand, engineNs: string | undefined): void {
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, command.env);
  // Rootless: the server lives in the engine namespace; the CLI must know it is inside already.
  if (engineNs && !process.env.SKIFF_ENGINE_NS) process.env.SKIFF_ENGINE_NS = engineNs;
  process.umask(command.umask);
  try {
    process.chdir(command.cwd);
  } catch {
    process.chdir('/');
  }
  process.argv = [process.argv[0]!, process.argv[1]!.replace(/warm-worker\.js$/, `${command.entry}.js`), ...command.argv];
}

async function serve(): Promise<number> {
  closeOnExec(CTL);
  const engineNs = process.env.SKIFF_ENGINE_NS;
  // A skiff-oci server (the client named it so): its workers preload only skiff-oci and stay.
  if (process.env.SKIFF_WARM_ENTRY === 'oci') return serveOci();
  const { main: cliMain, buildProgram } = await import('../cli/main.js');
  await preload();
  // The bridge path's first netlink and nftables requests are the costly ones; make them now, read-only.
  (await import('../network/index.js')).primeNetwork();
  // The verbs' definitions do not depend on the caller: declare them all before the caller waits.
  const program = buildProgram();
  const main = (argv: string[]) => cliMain(argv, program);
  writeSync(CTL, 'R');
  const job = awaitCommand();
  if (!job) return 0;  // the server went away: nothing to run
  claimCallerStdio([job.fds[0], job.fds[1], job.fds[2]]);
  served = true;
  writeSync(CTL, 'G');
  // Another front end named by the client (skiff-<entry> → dist/<entry>.js) exports the same main(argv);
  // it is imported before argv names it, so its own "am I the entry?" check stays quiet.
  const entryMain = job.command.entry === 'cli' ? main : await importEntry(job.command.entry);
  adopt(job.command, engineNs);
  if (!entryMain) {
    process.stderr.write(`skiff: no front end named ${job.command.entry}\n`);
    return 127;
  }
  return entryMain(job.command.argv);
}

/**
 * skiff-oci's worker: containerd calls the runtime five times per container in quick succession, more
 * than spare one-shot workers could keep up with, so this worker serves command after command. What a
 * command could leave behind is reset each time (env, cwd, umask, exit code, trace, the launcher
 * channels); skiff-oci writes its output with writeSync on 1 and 2, never through process.stdout.
 */
async function serveOci(): Promise<number> {
  const { mainForWorker } = await import('../oci/cli.js');
  const { takeLauncherChannels } = await import('../oci/launcher.js');
  const engineNs = process.env.SKIFF_ENGINE_NS;
  for (;;) {
    writeSync(CTL, 'R');
    const job = awaitCommand();
    if (!job) return 0;
    claimCallerStdio([job.fds[0], job.fds[1], job.fds[2]]);
    const launcher = job.fds[3] >= 0 ? claimFds([job.fds[3], job.fds[4], job.fds[5]]) : undefined;
    served = true;
    writeSync(CTL, 'G');
    adopt(job.command, engineNs);
    process.exitCode = undefined;
    let code: number;
    try {
      code = job.command.entry === 'oci' ? await mainForWorker(job.command.argv, launcher) : 127;
    } finally {
      takeLauncherChannels()?.close();
    }
    releaseCallerStdio();
    const status = Buffer.alloc(5);
    status.write('X');
    status.writeInt32LE((code & 0xff) << 8, 1);
    writeSync(CTL, status);
  }
}

async function importEntry(entry: string): Promise<((argv: string[]) => Promise<number>) | undefined> {
  if (!/^[a-z][a-z0-9-]*$/.test(entry)) return undefined;
  try {
    const mod = (await import(new URL(`./${entry}.js`, import.meta.url).href)) as { main?: (argv: string[]) => Promise<number> };
    return typeof mod.main === 'function' ? mod.main : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The command is over: give the caller's descriptors back (its pipes see EOF now) and report the exit
 * code ahead of Node's own teardown (10–50 ms here), which then happens off the caller's clock.
 */
function finish(code: number): never {
  if (served) {
    releaseCallerStdio();
    const status = Buffer.alloc(5);
    status.write('X');
    status.writeInt32LE((code & 0xff) << 8, 1);  // a wait(2) status: exited with `code`
    try {
      writeSync(CTL, status);
    } catch {
      // the server is gone; the exit status still reaches it through wait(2)
    }
  }
  process.exit(code);
}

serve().then(finish, async (e: unknown) => {
  const { reportError } = await import('../cli/report.js');
  finish(reportError(e));
});
