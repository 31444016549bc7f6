// Docker's look for `images` and `history`: rows rendered through Docker's --format templates (the
// default is Docker's own table template), its tabwriter columns, 12-hex ids, "2 weeks ago" times
// (go-units HumanDuration) and "7.05MB" sizes (decimal units, 3 significant digits) — all from the
// src/format leaf.
import type { ImageRecord } from './store.js';
import type { HistoryEntry } from './history.js';
import { parseReference, familiarName } from './reference.js';
import { ago } from '../format/duration.js';
import { humanSize, humanSizeWithPrecision } from '../format/size.js';
import { alignTabs } from '../format/table.js';
import { compileTemplate, parseFormat } from '../format/template.js';
import { ellipsis, shortId } from '../format/truncate.js';
import { goTimeString, rfc3339 } from '../format/go-time.js';

export interface ImagesOptions {
  all?: boolean;
  quiet?: boolean;
  noTrunc?: boolean;
  digests?: boolean;
  /** A Go template, `table …`, `table` or `json` (docker's --format). */
  format?: string;
  /** The SIZE of an image (the CLI passes the unpacked size, as Docker shows); default: the record's. */
  sizeOf?: (r: ImageRecord) => number;
}

/** The fields `docker images --format` offers, as strings (docker/cli's imageContext). */
interface ImageRow {
  Containers: string; CreatedAt: string; CreatedSince: string; Digest: string; ID: string; Repository: string;
  SharedSize: string; Size: string; Tag: string; UniqueSize: string; VirtualSize: string;
}

const IMAGE_HEADERS: ImageRow = {
  Containers: 'CONTAINERS', CreatedAt: 'CREATED AT', CreatedSince: 'CREATED', Digest: 'DIGEST', ID: 'IMAGE ID', Repository: 'REPOSITORY',
  SharedSize: 'SHARED SIZE', Size: 'SIZE', Tag: 'TAG', UniqueSize: 'UNIQUE SIZE', VirtualSize: 'VIRTUAL SIZE',
};

/** A row as docker/cli marshals it for `{{json .}}`: keys sorted, and <, >, & escaped (Go's json.Marshal). */
function rowJson(row: object): string {
  const sorted = Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify(sorted).replace(/[<>&]/g, (ch) => `\\u00${ch.charCodeAt(0).toString(16)}`);
}

/** Render rows with docker's format rules: `table` adds a header row and aligns; `json` is `{{json .}}`. */
function render<T extends object>(rows: T[], format: string, defaultTable: string, headers: T): string[] {
  let f = format;
  if (f === 'json') f = '{{json .}}';
  if (f === 'table') f = defaultTable;
  const spec = parseFormat(f);
  const tpl = compileTemplate(spec.body, { missing: 'error' });
  const wholeRow = /^\{\{\s*json\s+\.\s*\}\}$/.test(spec.body);
  const lines = rows.map((r) => (wholeRow ? rowJson(r) : tpl.render(r)));
  if (!spec.table) return lines;
  return alignTabs([tpl.render(headers), ...lines]).split('\n').slice(0, -1);
}

export function imagesTable(images: ImageRecord[], opts: ImagesOptions = {}, now = Date.now()): string[] {
  const sorted = [...images].sort((a, b) => Date.parse(b.created ?? '0') - Date.parse(a.created ?? '0') || a.id.localeCompare(b.id));
  const sizeOf = opts.sizeOf ?? ((r: ImageRecord) => r.size);
  const showDigests = !!opts.digests || /\.Digest\b/.test(opts.format ?? '');
  const rows: ImageRow[] = [];
  for (const r of sorted) {
    const size = humanSizeWithPrecision(sizeOf(r), 3);
    const created = r.created ? Date.parse(r.created) : NaN;
    const base = {
      Containers: 'N/A', CreatedAt: Number.isNaN(created) ? 'N/A' : goTimeString(created), CreatedSince: ago(r.created, now),
      ID: opts.noTrunc ? r.id : shortId(r.id), SharedSize: 'N/A', Size: size, UniqueSize: 'N/A', VirtualSize: humanSize(sizeOf(r)),
    };
    // moby's reference store lists an image's names sorted.
    const tags = r.repoTags.length ? [...r.repoTags].sort() : [undefined];
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
      const digest = showDigests ? r.repoDigests.find((d) => (t ? familiarName(parseReference(d)) === repo : true)) : undefined;
      rows.push({ ...base, Repository: repo, Tag: tag, Digest: digest ? digest.slice(digest.indexOf('@') + 1) : '<none>' });
    }
  }
  const table = `table {{.Repository}}\t{{.Tag}}\t${opts.digests ? '{{.Digest}}\t' : ''}{{.ID}}\t{{.CreatedSince}}\t{{.Size}}`;
  // -q: one id per row (per tag), as docker prints it; a template of the user's wins over -q, as in docker/cli.
  const format = opts.quiet && (!opts.format || opts.format === 'table') ? '{{.ID}}' : opts.format || table;
  return render(rows, format, table, IMAGE_HEADERS);
}

export interface HistoryOptions { noTrunc?: boolean; quiet?: boolean; human?: boolean; format?: string }

/** The fields `docker history --format` offers (docker/cli's historyContext). */
interface HistoryRow { ID: string; CreatedSince: string; CreatedAt: string; CreatedBy: string; Size: string; Comment: string }

const HISTORY_HEADERS: HistoryRow = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };
const HISTORY_TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

export function historyTable(entries: HistoryEntry[], opts: HistoryOptions = {}, now = Date.now()): string[] {
  const human = opts.human ?? true;
  const trunc = !opts.noTrunc;
  const rows = entries.map((h): HistoryRow => {
    const at = rfc3339(h.Created * 1000);
    const createdBy = h.CreatedBy.replace(/\t/g, ' ');
    return {
      ID: trunc ? shortId(h.Id) : h.Id,
      CreatedAt: at,
      CreatedSince: human ? ago(new Date(h.Created * 1000).toISOString(), now) : at,
      CreatedBy: trunc ? ellipsis(createdBy, 45) : createdBy,
      Size: human ? humanSizeWithPrecision(h.Size, 3) : String(h.Size),
      Comment: h.Comment,
    };
  });
  let format = opts.format || 'table';
  if (opts.quiet && (format === 'table' || !opts.format)) format = '{{.ID}}';
  return render(rows, format, HISTORY_TABLE, human ? HISTORY_HEADERS : { ...HISTORY_HEADERS, CreatedSince: 'CREATED AT' });
}
