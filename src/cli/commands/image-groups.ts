// Helpers for image verbs that exist in both grammars (`skiff pull` and `skiff image pull`).
import type { Command } from 'commander';

export interface Groups { container: Command; image: Command }

/** Define the same verb on the top level (when `top` names it) and under `image`. */
export function defineTwice(program: Command, groups: Groups, top: string | undefined, sub: string, define: (c: Command) => void, subAliases: string[] = []): void {
  if (top) define(program.command(top));
  const c = groups.image.command(sub);
  for (const a of subAliases) c.alias(a);
  define(c);
}

export function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

export function writeLines(lines: string[], stream: NodeJS.WriteStream = process.stdout): void {
  if (lines.length) stream.write(lines.join('\n') + '\n');
}
