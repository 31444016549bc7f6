// Docker's way with verbs that take several names (rm, stop, kill, network rm …): each argument is
// tried in turn, the ones that worked are echoed, each failure is reported on its own line, and the
// exit status is 1 if any failed.
import { reportError } from './report.js';

export async function eachArg(args: string[], fn: (arg: string) => Promise<unknown>): Promise<void> {
  let failed = false;
  for (const arg of args) {
    try {
      await fn(arg);
      process.stdout.write(`${arg}\n`);
    } catch (e) {
      reportError(e);
      failed = true;
    }
  }
  if (failed) process.exitCode = 1;
}
