// Waking a polling loop early: `logs -f` and `wait` re-check a container after every change to its
// log or directory, after an abort (the client went away), or else every pollMs — whichever is first.
// inotify alone could miss a change made before the watch existed; the poll alone would be slow.
import { watch, type FSWatcher } from 'node:fs';

export interface ChangeWatch {
  /** Resolves on the next change, abort or after pollMs. */
  next(pollMs: number): Promise<void>;
  close(): void;
}

export function watchChanges(path: string, signal?: AbortSignal): ChangeWatch {
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(path, () => wake?.());
    watcher.on('error', () => {});
  } catch {
    // Not there (yet, or any more): the poll still notices what happens to it.
  }
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  return {
    async next(pollMs: number) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    },
    close() {
      watcher?.close();
      signal?.removeEventListener('abort', onAbort);
    },
  };
}
