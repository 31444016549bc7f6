// How an error reaches the user: one line on stderr, `skiff: <what went wrong>. <what to do>`,
// and an exit status (125 for engine errors, as Docker does). Stacks only with --log-level debug.
import { asSkiffError } from '../errors.js';

let debug = false;

export function setDebug(on: boolean): void {
  debug = on;
}

export function reportError(e: unknown): number {
  const err = asSkiffError(e);
  process.stderr.write(`skiff: ${err.oneLine()}\n`);
  if (debug || process.env.SKIFF_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
  return err.exitCode;
}
