// `skiff cp` and `skiff container cp`: copy files between a container and the host (docs/filesystem-verbs.md).
import type { Command } from 'commander';

function defineCp(cmd: Command): Command {
  return cmd
    .description('copy files/folders between a container and the local filesystem')
    .argument('<src>', 'CONTAINER:SRC_PATH, a host path, or - for a tar stream on stdin')
    .argument('<dest>', 'CONTAINER:DEST_PATH, a host path, or - for a tar stream on stdout')
    .option('-a, --archive', 'archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'always follow symbol link in SRC_PATH')
    .option('-q, --quiet', 'suppress progress output (skiff prints none)')
    .action(async (src: string, dest: string, o: { archive?: boolean; followLink?: boolean }) => {
      const { cpCommand } = await import('../../engine/cp.js');
      await cpCommand(src, dest, { archive: !!o.archive, followLink: !!o.followLink });
    });
}

export function registerCp(program: Command, groups: { container: Command }): void {
  defineCp(program.command('cp'));
  defineCp(groups.container.command('cp'));
}
