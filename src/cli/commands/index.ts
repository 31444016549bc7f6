// Every verb, in Docker's two grammars: `skiff run` and `skiff container run`, `skiff images` and
// `skiff image ls`. Each register* function only declares flags; the engine code behind a verb is
// imported when that verb runs, so `skiff ps` never loads the layer unpacker.
import type { Command } from 'commander';
import { registerPs } from './ps.js';
import { registerInspect } from './inspect.js';
import { registerLogs } from './logs.js';
import { registerRm } from './rm.js';
import { registerRename } from './rename.js';
import { registerContainerPrune } from './container-prune.js';

export function registerAll(program: Command): void {
  const container = program.command('container').description('manage containers');
  const image = program.command('image').description('manage images');
  const groups = { container, image };
  registerPs(program, groups);
  registerInspect(program, groups);
  registerLogs(program, groups);
  registerRm(program, groups);
  registerRename(program, groups);
  registerContainerPrune(program, groups);
}
