// Diagnostic logs (pino) behind --log-level. Loaded lazily: pino costs ~20 ms at start-up and most
// commands never log, so `log()` hands out a no-op logger until a level is asked for.
import type { Logger } from 'pino';

type LogFn = (obj: object | string, msg?: string) => void;
export interface SkiffLogger { debug: LogFn; info: LogFn; warn: LogFn; error: LogFn }

const noop: LogFn = () => {};
const silent: SkiffLogger = { debug: noop, info: noop, warn: noop, error: noop };
let current: SkiffLogger = silent;

export async function setLogLevel(wanted: string): Promise<void> {
  if (wanted === 'silent') {
    current = silent;
    return;
  }
  const { pino } = await import('pino');
  const logger: Logger = pino({ level: wanted, base: { pid: process.pid } }, pino.destination(2));
  current = logger as unknown as SkiffLogger;
}

export function log(): SkiffLogger {
  return current;
}
