// Docker's look for `images`: columns padded to the widest cell plus three spaces, 12-hex ids,
// "2 weeks ago" times (go-units HumanDuration) and "7.05MB" sizes (decimal units, 3 significant digits).
import type { ImageRecord } from './store.js';
import { displayTag } from './store.js';
import { parseReference, familiarName } from './reference.js';
import { humanDuration } from '../format/duration.js';
export { humanDuration };
import { humanSizeWithPrecision } from '../format/size.js';

/** `docker images` SIZE: go-units HumanSizeWithPrecision(size, 3), e.g. "7.05MB". */
export function humanSize(n: number): string {
  return humanSizeWithPrecision(n, 3);
}

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return 'N/A';
  const t = Date.parse(iso);
  if (Number.isNaN(t) || t <= 0) return 'N/A';
  return `${humanDuration(Math.max(0, now - t))} ago`;
}

export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  // docker/cli's tabwriter: three spaces of padding, and no column narrower than 10.
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(Math.max(widths[c]! + 3, 10)))).join('').trimEnd());
}

export interface ImagesOptions { all?: boolean; quiet?: boolean; noTrunc?: boolean; digests?: boolean }

export function imagesTable(images: ImageRecord[], opts: ImagesOptions = {}, now = Date.now()): string[] {
  const sorted = [...images].sort((a, b) => Date.parse(b.created ?? '0') - Date.parse(a.created ?? '0') || a.id.localeCompare(b.id));
  const id = (r: ImageRecord) => (opts.noTrunc ? r.id : r.id.slice(7, 19));
  if (opts.quiet) return [...new Set(sorted.map(id))];
  const rows: string[][] = [['REPOSITORY', 'TAG', ...(opts.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE']];
  for (const r of sorted) {
    const tags = r.repoTags.length ? r.repoTags : [undefined];
    for (const t of tags) {
      let repo = '<none>';
      let tag = '<none>';
      if (t) {
        const ref = parseReference(t);
        repo = familiarName(ref);
        tag = ref.tag ?? '<none>';
      } else if (r.repoDigests[0]) {
        repo = familiarName(parseReference(r.repoDigests[0]));
      }
      const digest = r.repoDigests.find((d) => (t ? familiarName(parseReference(d)) === repo : true));
      rows.push([repo, tag, ...(opts.digests ? [digest ? digest.slice(digest.indexOf('@') + 1) : '<none>'] : []), id(r), ago(r.created, now), humanSize(r.size)]);
    }
  }
  return table(rows);
}

