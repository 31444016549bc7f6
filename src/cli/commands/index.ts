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
import { registerPull } from './pull.js';
import { registerImages } from './images.js';
import { registerRmi } from './rmi.js';
import { registerTag } from './tag.js';
import { registerImageInspect } from './image-inspect.js';
import { registerHistory } from './history.js';
import { registerImagePrune } from './image-prune.js';
import { registerPush } from './push.js';
import { registerSave } from './save.js';
import { registerLoad } from './load.js';
import { registerLogin } from './login.js';
import { registerLab } from './lab.js';
import { registerRun } from './run.js';
import { registerStats } from './stats.js';
import { registerBuild } from './build.js';
import { registerVolume } from './volume.js';
import { registerUpdate } from './update.js';
import { registerNetwork } from './network.js';
import { registerCreate } from './create.js';
import { registerExec } from './exec.js';
import { registerAttach } from './attach.js';
import { registerCleanup, registerHealthcheck, registerKill, registerRestart, registerStart, registerStop } from './lifecycle.js';
import { registerDoctor } from './doctor.js';
import { registerPort } from './port.js';
import { registerSystem } from './system.js';
import { registerSystemVerbs } from './system-verbs.js';
import { registerFilesystemVerbs } from './filesystem-verbs.js';

export function registerAll(program: Command): void {
  const container = program.command('container').description('manage containers');
  const image = program.command('image').description('manage images');
  const groups = { container, image };
  // Verbs that exist both at the top and under `container`.
  for (const parent of [program, container]) {
    registerRun(parent);
    registerCreate(parent);
    registerStart(parent);
    registerStop(parent);
    registerRestart(parent);
    registerKill(parent);
    registerExec(parent);
    registerAttach(parent);
  }
  registerCleanup(container);
  registerHealthcheck(container);
  registerPs(program, groups);
  registerInspect(program, groups);
  registerLogs(program, groups);
  registerRm(program, groups);
  registerRename(program, groups);
  registerPort(program, groups);
  registerContainerPrune(program, groups);
  registerPull(program, groups);
  registerImages(program, groups);
  registerRmi(program, groups);
  registerTag(program, groups);
  registerImageInspect(program, groups);
  registerHistory(program, groups);
  registerImagePrune(program, groups);
  registerPush(program, groups);
  registerSave(program, groups);
  registerLoad(program, groups);
  registerLogin(program);
  registerLab(program);
  registerStats(program, groups);
  registerBuild(program, groups);
  registerVolume(program);
  registerUpdate(program, groups);
  registerNetwork(program);
  registerDoctor(program);
  registerSystemVerbs(program, groups, registerSystem(program));
  registerFilesystemVerbs(program, groups);
}
