// `skiff images` and `skiff image ls|list`: Docker's table, --format templates, -q one id per tag.
import type { Command } from 'commander';
import { defineTwice, writeLines, type Groups } from './image-groups.js';

export function registerImages(program: Command, groups: Groups): void {
  defineTwice(program, groups, 'images', 'ls', (c) =>
    c
      .description('list images')
      .argument('[repository]', 'only images of this REPOSITORY[:TAG]')
      .option('-a, --all', 'show all images (skiff keeps no intermediate images, so the same as without)')
      .option('-q, --quiet', 'only show image ids')
      .option('--no-trunc', 'do not truncate ids')
      .option('--digests', 'show digests')
      .option('--format <format>', 'format output using a Go template ({{.Repository}}:{{.Tag}}), "table …", "table" or "json"')
      .action(async (repository: string | undefined, o: { all?: boolean; quiet?: boolean; trunc: boolean; digests?: boolean; format?: string }) => {
        const { listImages } = await import('../../image/store.js');
        const { imagesTable } = await import('../../image/format.js');
        const { unpackedSize } = await import('../../image/layers.js');
        const { parseReference, fullName } = await import('../../image/reference.js');
        let images = listImages();
        if (repository) {
          const ref = parseReference(repository);
          const explicitTag = /:[\w][\w.-]*$/.test(repository.slice(repository.lastIndexOf('/') + 1));
          images = images
            .map((r) => ({ ...r, repoTags: r.repoTags.filter((t) => (explicitTag ? t === `${fullName(ref)}:${ref.tag}` : t.startsWith(`${fullName(ref)}:`))) }))
            .filter((r) => r.repoTags.length > 0);
        }
        writeLines(imagesTable(images, { all: !!o.all, quiet: !!o.quiet, noTrunc: !o.trunc, digests: !!o.digests, ...(o.format !== undefined ? { format: o.format } : {}), sizeOf: unpackedSize }));
      }),
    ['list'],
  );
}
