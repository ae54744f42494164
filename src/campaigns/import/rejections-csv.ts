import { Readable } from 'node:stream';
import type pg from 'pg';
import { importFileOf, rejectionsPage } from '../../db/sql/import-recipients.sql.ts';
import { csvLine } from '../../lib/csv.ts';
import { NotFoundError } from '../../lib/errors.ts';

export const REJECTIONS_CSV_HEADER = 'line,kind,reason,raw\n';
const PAGE = 5000;

/**
 * Every row of one import that did not become a recipient — invalid rows,
 * duplicates and opted-out numbers — as CSV lines (header first), formula-safe,
 * read from the database a page at a time: the CLI's --errors file and the
 * dashboard's download are this one stream. `seen.rows` counts the rows given.
 */
export async function* rejectionsCsv(pool: pg.Pool, importId: number, seen: { rows: number } = { rows: 0 }): AsyncGenerator<string> {
  yield REJECTIONS_CSV_HEADER;
  let after: { line: number; id: number } | undefined;
  for (;;) {
    const page = await rejectionsPage(pool, importId, after, PAGE);
    seen.rows += page.length;
    if (page.length) yield page.map((r) => `${csvLine([String(r.line), r.kind, r.reason, r.raw ?? ''])}\n`).join('');
    if (page.length < PAGE) return;
    const last = page[page.length - 1]!;
    after = { line: last.line, id: last.id };
  }
}

/** The download of an import's rejected rows: a file name and the CSV stream; 404 for an unknown import. */
export async function rejectionsCsvResponse(pool: pg.Pool, importId: number): Promise<{ fileName: string; stream: Readable }> {
  const row = await importFileOf(pool, importId);
  if (!row) throw new NotFoundError(`import ${importId} not found`);
  const base = row.file_name.replace(/\.csv$/i, '');
  const fileName = `${row.campaign}-${base}-import-${importId}-rejected.csv`.replace(/[^A-Za-z0-9._-]/g, '_');
  return { fileName, stream: Readable.from(rejectionsCsv(pool, importId)) };
}
