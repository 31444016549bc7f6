// Where a daemon a test starts (dockerd, docker-registry, `skiff system service`) writes its output: a
// file, never a pipe back to the test. The tests drive clients with spawnSync, which blocks the test's
// event loop for as long as the client runs; a pipe nobody drains fills up (64 KiB), and the daemon then
// blocks on its next log line while holding its logger's lock. Debian's dockerd did exactly that after
// about ninety side-by-side cases: every request that logged anything hung until a client timed out.
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface DaemonLog {
  /** The file descriptor to pass as the daemon's stdout and stderr; close() it once the daemon is spawned. */
  fd: number;
  close(): void;
  /** What the daemon wrote so far (its last 100 KB), for an error message. */
  read(): string;
}

export function daemonLog(file: string): DaemonLog {
  const fd = openSync(file, 'a', 0o600);
  return {
    fd,
    close: () => closeSync(fd),
    read: () => {
      try {
        return readFileSync(file, 'utf8').slice(-100_000);
      } catch {
        return '';
      }
    },
  };
}
