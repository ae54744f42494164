import { parse, type CsvError } from 'csv-parse/sync';
import type { ColumnPlan } from './columns.ts';
import { normalizeBatch, type NormalizedBatch, type RecordBatch } from './normalize-rows.ts';

/**
 * One job of an import: whole CSV records (cut by RecordSplitter) parsed with
 * csv-parse and normalised. Pure and synchronous, so it runs the same in a
 * worker thread or in-thread.
 */

export interface ParseJob {
  bytes: Uint8Array;
  startLine: number;
  /** The job holds the header row: skip the first non-blank record. */
  skipHeader: boolean;
}

export interface JobResult extends NormalizedBatch {
  /** A csv-parse error: the file is refused with it. */
  error?: { message: string; line: number };
}

export interface ParsedRecord {
  /** Physical line where the record starts. */
  line: number;
  cells: string[];
}

/** Line breaks inside a record's quoted cells: each moves the physical line count on. */
export function innerLineBreaks(record: string[]): number {
  let n = 0;
  for (const cell of record) {
    if (cell.length === 0) continue;
    let at = cell.indexOf('\n');
    while (at >= 0) {
      n++;
      at = cell.indexOf('\n', at + 1);
    }
    // A bare CR (old Mac files) is a line break too; CRLF was counted once above.
    at = cell.indexOf('\r');
    while (at >= 0) {
      if (cell.charCodeAt(at + 1) !== 10) n++;
      at = cell.indexOf('\r', at + 1);
    }
  }
  return n;
}

/** Empty lines and rows of empty cells (",,," from spreadsheets) are not recipients. */
export function isBlank(record: string[]): boolean {
  for (const cell of record) if (cell.trim() !== '') return false;
  return true;
}

/**
 * The csv-parse settings of every import. Record delimiters are fixed to all
 * three line endings so parsing agrees with RecordSplitter's cuts.
 */
export function csvOptions(onRecord: (cells: string[]) => ParsedRecord | null) {
  return {
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    record_delimiter: ['\r\n', '\n', '\r'],
    on_record: onRecord,
  };
}

/** Records of a job with their line numbers, blank ones dropped. */
export function parseRecords(bytes: Uint8Array, startLine: number): { records: ParsedRecord[]; error?: { message: string; line: number } } {
  let next = startLine;
  const onRecord = (cells: string[]): ParsedRecord | null => {
    const line = next;
    next += 1 + innerLineBreaks(cells);
    return isBlank(cells) ? null : { line, cells };
  };
  try {
    // on_record changes the record type, which parse()'s overloads do not model.
    const records = parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), csvOptions(onRecord) as never) as unknown as ParsedRecord[];
    return { records };
  } catch (err) {
    return { records: [], error: { message: (err as CsvError).message, line: next } };
  }
}

export function runParseJob(plan: ColumnPlan, job: ParseJob): JobResult {
  const { records, error } = parseRecords(job.bytes, job.startLine);
  if (error) return { copy: new Uint8Array(0), rows: 0, valid: 0, rejected: [], error };
  const batch: RecordBatch = { lines: [], counts: [], cells: [] };
  let skip = job.skipHeader;
  for (const r of records) {
    if (skip) {
      skip = false;
      continue;
    }
    batch.lines.push(r.line);
    batch.counts.push(r.cells.length);
    for (const c of r.cells) batch.cells.push(c);
  }
  return normalizeBatch(plan, batch);
}
