// The container filesystem verbs, registered together: cp, diff, export, import, commit.
import type { Command } from 'commander';
import type { Groups } from './image-groups.js';
import { registerCp } from './cp.js';

export function registerFilesystemVerbs(program: Command, groups: Groups): void {
  registerCp(program, groups);
}
