// Flags every verb accepts: --trace and --log-level. Applied before the verb's action runs.
import type { Command } from 'commander';
import { trace } from '../trace.js';
import { setLogLevel } from '../log.js';
import { setDebug } from './report.js';
import { SkiffError } from '../errors.js';

const LEVELS = new Set(['silent', 'debug', 'info', 'warn', 'error']);

export interface GlobalOptions {
  trace?: boolean;
  logLevel?: string;
}

export async function applyGlobalOptions(opts: GlobalOptions, _action: Command): Promise<void> {
  if (opts.trace || process.env.SKIFF_TRACE === '1') trace.enable();
  const level = opts.logLevel ?? 'silent';
  if (!LEVELS.has(level)) {
    throw new SkiffError('EUSAGE', `unknown log level "${level}"`, 'use one of: debug, info, warn, error');
  }
  if (level !== 'silent') await setLogLevel(level);
  setDebug(level === 'debug');
}
