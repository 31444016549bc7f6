// The container filesystem verbs, registered together: cp, diff, export, import, commit
// (docs/filesystem-verbs.md). Each only declares flags; the engine code loads when the verb runs.
import type { Command } from 'commander';
import { collect, defineTwice, type Groups } from './image-groups.js';
import { registerCp } from './cp.js';

function both(program: Command, groups: Groups, verb: string, define: (c: Command) => void): void {
  define(program.command(verb));
  define(groups.container.command(verb));
}

export function registerFilesystemVerbs(program: Command, groups: Groups): void {
  registerCp(program, groups);

  both(program, groups, 'diff', (c) =>
    c
      .description('inspect changes to files or directories on a container\'s filesystem')
      .argument('<container>', 'container name or id')
      .action(async (ref: string) => {
        const { resolveContainer } = await import('../../state/containers.js');
        const { containerChanges } = await import('../../engine/diff.js');
        const changes = await containerChanges(resolveContainer(ref));
        if (changes.length) process.stdout.write(changes.map((ch) => `${ch.kind} ${ch.path}`).join('\n') + '\n');
      }));

  both(program, groups, 'export', (c) =>
    c
      .description('export a container\'s filesystem as a tar archive')
      .argument('<container>', 'container name or id')
      .option('-o, --output <file>', 'write to a file, instead of STDOUT')
      .action(async (ref: string, o: { output?: string }) => {
        const { SkiffError } = await import('../../errors.js');
        const { resolveContainer } = await import('../../state/containers.js');
        const id = resolveContainer(ref);
        if (!o.output && process.stdout.isTTY) throw new SkiffError('EUSAGE', 'cowardly refusing to save to a terminal. Use the -o flag or redirect', undefined, { exitCode: 1 });
        const { exportContainer } = await import('../../engine/archive.js');
        const { createWriteStream, renameSync, rmSync } = await import('node:fs');
        if (!o.output) return exportContainer(id, process.stdout);
        // Written beside the target and renamed: a failed export leaves no half file.
        const tmp = `${o.output}.skiff-${process.pid}`;
        try {
          await exportContainer(id, createWriteStream(tmp, { mode: 0o600 }));
          renameSync(tmp, o.output);
        } catch (e) {
          rmSync(tmp, { force: true });
          throw e;
        }
      }));

  both(program, groups, 'commit', (c) =>
    c
      .description('create a new image from a container\'s changes')
      .argument('<container>', 'container name or id')
      .argument('[repository]', 'REPOSITORY[:TAG]')
      .option('-a, --author <string>', 'author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
      .option('-c, --change <instruction>', 'apply Dockerfile instruction to the created image', collect, [])
      .option('-m, --message <string>', 'commit message')
      .option('-p, --pause', 'pause container during commit (accepted; skiff reads the upper dir as it is)', true)
      .option('--no-pause', 'do not pause')
      .action(async (ref: string, repo: string | undefined, o: { author?: string; change: string[]; message?: string }) => {
        const { resolveContainer } = await import('../../state/containers.js');
        const { commitContainer } = await import('../../engine/commit.js');
        const id = await commitContainer(resolveContainer(ref), { ...(repo ? { reference: repo } : {}), author: o.author ?? '', comment: o.message ?? '', changes: o.change });
        process.stdout.write(`${id}\n`);
      }));

  defineTwice(program, groups, 'import', 'import', (c) =>
    c
      .description('import the contents from a tarball to create a filesystem image')
      .argument('<file>', 'a tar file (plain or gzip), or - for stdin')
      .argument('[repository]', 'REPOSITORY[:TAG]')
      .option('-c, --change <instruction>', 'apply Dockerfile instruction to the created image', collect, [])
      .option('-m, --message <string>', 'set commit message for imported image')
      .option('--platform <platform>', 'set platform if server is multi-platform capable (only this machine\'s)')
      .action(async (file: string, repo: string | undefined, o: { change: string[]; message?: string }) => {
        const { importTarball, importSource } = await import('../../engine/commit.js');
        const id = await importTarball(importSource(file), { ...(repo ? { reference: repo } : {}), ...(o.message ? { message: o.message } : {}), changes: o.change, source: file === '-' ? '-' : file });
        process.stdout.write(`${id}\n`);
      }));
}
