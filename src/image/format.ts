// Docker's look for `images`: its tabwriter columns, 12-hex ids, "2 weeks ago" times (go-units
// HumanDuration) and "7.05MB" sizes (decimal units, 3 significant digits) — all from the src/format leaf.
import type { ImageRecord } from './store.js';
import { parseReference, familiarName } from './reference.js';
import { ago } from '../format/duration.js';
import { humanSizeWithPrecision } from '../format/size.js';
import { renderTable } from '../format/table.js';

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
      rows.push([repo, tag, ...(opts.digests ? [digest ? digest.slice(digest.indexOf('@') + 1) : '<none>'] : []), id(r), ago(r.created, now), humanSizeWithPrecision(r.size, 3)]);
    }
  }
  return renderTable(rows).split('\n').slice(0, -1);
}

