// Every verb, in Docker's two grammars: `skiff run` and `skiff container run`, `skiff images` and
// `skiff image ls`. Each register* function only declares flags; the engine code behind a verb is
// imported when that verb runs, so `skiff ps` never loads the layer unpacker.
import type { Command } from 'commander';
import { registerPull } from './pull.js';
import { registerImages } from './images.js';
import { registerRmi } from './rmi.js';
import { registerTag } from './tag.js';
import { registerImageInspect } from './image-inspect.js';
import { registerImagePrune } from './image-prune.js';
import { registerPush } from './push.js';
import { registerSave } from './save.js';
import { registerLoad } from './load.js';
import { registerLogin } from './login.js';
import { registerLab } from './lab.js';

export function registerAll(program: Command): void {
  const container = program.command('container').description('manage containers');
  const image = program.command('image').description('manage images');
  void container;
  void image;
  const groups = { container, image };
  registerPull(program, groups);
  registerImages(program, groups);
  registerRmi(program, groups);
  registerTag(program, groups);
  registerImageInspect(program, groups);
  registerImagePrune(program, groups);
  registerPush(program, groups);
  registerSave(program, groups);
  registerLoad(program, groups);
  registerLogin(program);
  registerLab(program);
}
