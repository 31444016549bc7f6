// Pull/push output as Docker prints it. Plain (pipes, `run`'s stderr): one line per finished layer
// (`941f399634ec: Pull complete`). On a TTY: one row per layer, redrawn in place with a progress bar.
import { humanSizeWithPrecision } from '../format/size.js';

export interface Progress {
  line(text: string): void;
  layer(id: string, status: string, current?: number, total?: number): void;
  done(): void;
}

const FINAL = new Set(['Pull complete', 'Already exists', 'Pushed', 'Layer already exists', 'Loading layer']);

export function plainProgress(out: (line: string) => void): Progress {
  return {
    line: out,
    layer(id, status) {
      if (FINAL.has(status)) out(`${id}: ${status}`);
    },
    done() {},
  };
}

export function humanBytes(n: number): string {
  return humanSizeWithPrecision(n, 3);
}

function bar(cur: number, total: number): string {
  const width = 50;
  const filled = Math.min(width, Math.floor((cur / Math.max(total, 1)) * width));
  return `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}]`;
}

/** In-place redraw: rows keep their order; each update moves the cursor up to its row. */
export function ttyProgress(stream: NodeJS.WriteStream): Progress {
  const rows: string[] = [];
  const text = new Map<string, string>();
  const write = (s: string) => stream.write(s);
  function render(id: string): void {
    const i = rows.indexOf(id);
    const up = rows.length - i;
    write(`\x1b[${up}A\r\x1b[2K${id}: ${text.get(id)}\x1b[${up}B\r`);
  }
  return {
    line(t) {
      write(`${t}\n`);
      rows.length = 0;
      text.clear();
    },
    layer(id, status, cur, total) {
      const s = cur !== undefined && total ? `${status.padEnd(18)} ${bar(cur, total)}  ${humanBytes(cur)}/${humanBytes(total)}` : status;
      if (!rows.includes(id)) {
        rows.push(id);
        text.set(id, s);
        write(`${id}: ${s}\n`);
        return;
      }
      text.set(id, s);
      render(id);
    },
    done() {},
  };
}
