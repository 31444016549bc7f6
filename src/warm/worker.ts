// A pre-started CLI process for the resident server (native-bindings/warm/server.c): it imports the
// CLI and the engine modules of the everyday verbs ahead of time, says 'R', then waits for exactly
// one command. It takes the caller's stdin/stdout/stderr from the server (pidfd_getfd) onto 0/1/2
// before anything touches process.stdout, adopts the caller's cwd, umask, env and argv, runs the
// command and exits with its code — so each command is still its own process (exit codes, signals,
// raw tty mode, globals), only Node's start-up has already happened.
import { readSync, writeSync } from 'node:fs';
import { claimCallerStdio, closeOnExec } from './stdio-handover.js';
import { parseCommand, type WarmCommand } from './command.js';

const CTL = 3;

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

function awaitCommand(): { fds: [number, number, number]; command: WarmCommand } | undefined {
  const head = readExactly(16);
  if (!head) return undefined;
  const total = head.readUInt32LE(0);
  const body = readExactly(total - 12);
  if (!body) return undefined;
  return { fds: [head.readUInt32LE(4), head.readUInt32LE(8), head.readUInt32LE(12)], command: parseCommand(body) };
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
  const { main } = await import('../cli/main.js');
  await preload();
  writeSync(CTL, 'R');
  const job = awaitCommand();
  if (!job) return 0;  // the server went away: nothing to run
  claimCallerStdio(job.fds);
  writeSync(CTL, 'G');
  adopt(job.command, engineNs);
  if (job.command.entry !== 'cli') {
    process.stderr.write(`skiff: no front door named ${job.command.entry}\n`);
    return 127;
  }
  return main(job.command.argv);
}

serve().then(
  (code) => process.exit(code),
  async (e: unknown) => {
    const { reportError } = await import('../cli/report.js');
    process.exit(reportError(e));
  },
);
