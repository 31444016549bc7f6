// A list command's --format as the docker CLI applies it to rows of string fields: `table …` renders a
// header (the template over the header names) and aligns the columns, `json` prints each row as one
// object with its keys sorted (Go marshals the struct that way), anything else is a template a line.
import { compileTemplate, parseFormat } from './template.js';
import { alignTabs } from './table.js';

export function formatRows(format: string | undefined, defaultTable: string, rows: Array<Record<string, string>>, headers: Record<string, string>): string {
  const f = !format || format === 'table' ? defaultTable : format === 'json' ? '{{json .}}' : format;
  const spec = parseFormat(f);
  const tpl = compileTemplate(spec.body, { missing: 'error' });
  const lines = rows.map((r) => tpl.render(Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)))));
  return spec.table ? alignTabs([tpl.render(headers), ...lines]) : lines.map((l) => `${l}\n`).join('');
}
