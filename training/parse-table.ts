// The one CSV reader of numeric exports: `medic anomaly score` backtests and the CSV training source
// (training/csv-source.ts) both read a file with it, so they agree on what a number and a gap are.

export interface Table {
  /** The `timestamp` column as written, or null when the input has none. */
  timestamps: string[] | null;
  columns: string[];
  /** One row per line, one value per column; NaN where a cell is empty. */
  rows: number[][];
}

/**
 * A CSV with a header (an optional `timestamp` column, the others numeric) or, with `header` false, a
 * headerless numeric matrix (the ASD layout: columns column_1..column_n). Errors name the row and column.
 */
export function parseTable(text: string, header: boolean): Table {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error('the input has no rows');
  let names: string[];
  let body = lines;
  if (header) {
    names = lines[0]!.split(',').map((s) => s.trim());
    body = lines.slice(1);
  } else {
    names = lines[0]!.split(',').map((_, i) => `column_${i + 1}`);
  }
  const tsIndex = names.indexOf('timestamp');
  const columns = names.filter((_, i) => i !== tsIndex);
  const timestamps: string[] | null = tsIndex >= 0 ? [] : null;
  const rows = body.map((line, n) => {
    const cells = line.split(',');
    if (cells.length !== names.length) throw new Error(`row ${n + (header ? 2 : 1)} has ${cells.length} cells, the header ${names.length}`);
    if (timestamps) timestamps.push(cells[tsIndex]!.trim());
    return cells.filter((_, i) => i !== tsIndex).map((c, i) => {
      const v = Number(c);
      if (c.trim() !== '' && !Number.isFinite(v)) throw new Error(`row ${n + (header ? 2 : 1)}, column ${columns[i]}: ${JSON.stringify(c)} is not a number`);
      return c.trim() === '' ? Number.NaN : v;
    });
  });
  return { timestamps, columns, rows };
}
