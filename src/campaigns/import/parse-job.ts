import { parse, type CsvError, type Options } from 'csv-parse/sync';
import type { ColumnPlan } from './columns.ts';
import { StagingRows, type NormalizedBatch } from './normalize-rows.ts';

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
function innerLineBreaks(record: string[]): number {
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
function isBlank(record: string[]): boolean {
  for (const cell of record) if (cell.trim() !== '') return false;
  return true;
}

/**
 * The csv-parse settings of every import. Record delimiters are fixed to all
 * three line endings so parsing agrees with RecordSplitter's cuts. No
 * `on_record` hook: with one, csv-parse builds a context object per record,
 * which tripled its parse time; line numbers are counted afterwards instead.
 */
const CSV_OPTIONS: Options = {
  bom: true,
  relax_column_count: true,
  relax_quotes: true,
  record_delimiter: ['\r\n', '\n', '\r'],
};

/** The job's bytes as a Buffer, without copying them. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Where parsing failed, for the message: the job is parsed again record by
 * record (only on this rare path) to find the physical line it stopped at.
 */
function failedAt(bytes: Uint8Array, startLine: number, err: unknown): { message: string; line: number } {
  let next = startLine;
  try {
    parse(asBuffer(bytes), {
      ...CSV_OPTIONS,
      on_record: (cells: string[]) => {
        next += 1 + innerLineBreaks(cells);
        return null;
      },
    } as never);
  } catch {
    // the same error again: `next` is now the line of the record that failed
  }
  return { message: (err as CsvError).message, line: next };
}

/**
 * Calls `each` for every non-blank record of a job with the physical line it
 * starts on. Returns a parse error instead of throwing it.
 */
function forEachRecord(
  bytes: Uint8Array,
  startLine: number,
  each: (cells: string[], line: number) => void,
): { message: string; line: number } | undefined {
  let rows: string[][];
  try {
    rows = parse(asBuffer(bytes), CSV_OPTIONS) as string[][];
  } catch (err) {
    return failedAt(bytes, startLine, err);
  }
  let next = startLine;
  for (const cells of rows) {
    const line = next;
    next += 1 + innerLineBreaks(cells);
    if (!isBlank(cells)) each(cells, line);
  }
  return undefined;
}

/** Records of a job with their line numbers, blank ones dropped. */
export function parseRecords(bytes: Uint8Array, startLine: number): { records: ParsedRecord[]; error?: { message: string; line: number } } {
  const records: ParsedRecord[] = [];
  const error = forEachRecord(bytes, startLine, (cells, line) => records.push({ line, cells }));
  return error ? { records: [], error } : { records };
}

export function runParseJob(plan: ColumnPlan, job: ParseJob): JobResult {
  const out = new StagingRows(plan);
  let skip = job.skipHeader;
  const error = forEachRecord(job.bytes, job.startLine, (cells, line) => {
    if (skip) skip = false;
    else out.add(cells, line);
  });
  if (error) return { copy: new Uint8Array(0), rows: 0, valid: 0, rejected: [], error };
  return out.finish();
}
