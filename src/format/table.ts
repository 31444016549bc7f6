// Docker's tables come from Go's text/tabwriter set up as NewWriter(out, 10, 1, 3, ' ', 0): every
// tab-terminated cell is padded to the widest cell of its column plus 3 spaces, at least 10 wide;
// the last cell of a row is not padded.

const MIN_WIDTH = 10;
const PADDING = 3;

/** Width as tabwriter counts it: one per code point. */
function width(s: string): number {
  return [...s].length;
}

/** Align rows whose cells are separated by tabs (what a `table` template renders). */
export function alignTabs(lines: string[]): string {
  return renderTable(lines.map((l) => l.split('\t')));
}

/** Render rows of cells into aligned lines, each ending in a newline. */
export function renderTable(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (i === row.length - 1) return; // the last cell does not shape its column
      widths[i] = Math.max(widths[i] ?? 0, Math.max(MIN_WIDTH, width(cell) + PADDING));
    });
  }
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - width(cell)))).join('') + '\n')
    .join('');
}
