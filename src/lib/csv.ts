/**
 * The one CSV writer of bluecast: RFC 4180 quoting, and formula safety for
 * every file a person may open in a spreadsheet (the report export, the
 * rejected rows of an import). A cell that a spreadsheet would evaluate
 * (starting with = + - @, a tab or a carriage return) gets a leading single
 * quote, except plain numbers and E.164 phone numbers, which stay as they are
 * so that the file still reads as data. The report export is written by
 * PostgreSQL's COPY, so the same rule is also given as SQL (csvSafeSql).
 */

const FORMULA_START = /^[=+\-@\t\r]/;
// "-2", "3.5", "+15551234567", "1e3": numbers, not formulas.
const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The cell as a spreadsheet will show it, not evaluate it. */
export function formulaSafe(cell: string): string {
  return FORMULA_START.test(cell) && !PLAIN_NUMBER.test(cell) ? `'${cell}` : cell;
}

function quoted(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** One CSV record (no line end). `formulas: 'keep'` is for text that is stored, not opened (an import's raw row). */
export function csvLine(cells: readonly string[], opts: { formulas?: 'neutralise' | 'keep' } = {}): string {
  const keep = opts.formulas === 'keep';
  return cells.map((c) => quoted(keep ? c : formulaSafe(c))).join(',');
}

// The same two patterns in PostgreSQL's regex dialect.
const SQL_FORMULA_START = `'^[=+@\\t\\r-]'`;
const SQL_PLAIN_NUMBER = `'^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?$'`;

/** SQL for `expr` made formula-safe like formulaSafe(), for COPY … TO exports. */
export function csvSafeSql(expr: string): string {
  return `CASE WHEN ${expr} ~ ${SQL_FORMULA_START} AND ${expr} !~ ${SQL_PLAIN_NUMBER} THEN '''' || ${expr} ELSE ${expr} END`;
}
