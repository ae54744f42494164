import { csvLine } from '../../lib/csv.ts';
import { normalizePhone } from '../../lib/phone.ts';
import { canonicalTimeZone } from '../timezone.ts';
import type { ColumnPlan } from './columns.ts';

/**
 * Row-level validation and normalisation, the CPU-heavy half of an import
 * (libphonenumber is ~4.5 µs a number with patches/). Pure: it runs in worker threads for
 * large files and in-thread for small ones, with the same results.
 *
 * Rows are added one by one as csv-parse yields them; the output is the job's
 * rows as COPY text for the staging table, valid and rejected rows alike, so
 * one COPY stream carries everything.
 */

export interface Rejection {
  line: number;
  reason: string;
  /** The row re-encoded as one CSV line. */
  raw: string;
  /** Set when the row was rejected for an empty template column: that column's name. */
  emptyColumn?: string;
}

export interface NormalizedBatch {
  /**
   * Staging rows: line, phone, variables, timezone, reason, raw (COPY text
   * format), as UTF-8 bytes: a flat buffer (transferable from a worker) rather
   * than a string built of thousands of pieces that would stay in memory until written.
   */
  copy: Uint8Array;
  rows: number;
  valid: number;
  rejected: Rejection[];
}

const encoder = new TextEncoder();

const COPY_SPECIAL = /[\\\t\n\r]/;
/** Escape a value for COPY's text format. */
function copyEscape(s: string): string {
  if (!COPY_SPECIAL.test(s)) return s;
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

function reject(cells: readonly string[], line: number, reason: string): Rejection {
  // NUL cannot be stored in PostgreSQL text; the raw copy drops it.
  // Stored as read: formulas are neutralised when it is written out (writeRejectionsCsv).
  const raw = csvLine(cells, { formulas: 'keep' }).replace(/\0/g, '');
  return { line, reason, raw: raw.length > 4000 ? `${raw.slice(0, 4000)}…` : raw };
}

/** Why a row cannot be imported, or undefined when its cells are acceptable (phone aside). */
function cellProblem(plan: ColumnPlan, cells: readonly string[]): { reason: string; emptyColumn?: string } | undefined {
  for (let c = 0; c < plan.width; c++) {
    const v = cells[c]!;
    if (v.length > plan.maxFieldLength) return { reason: `cell "${plan.names[c]}" is ${v.length} characters long (limit ${plan.maxFieldLength})` };
    if (v.indexOf('\0') >= 0) return { reason: `cell "${plan.names[c]}" contains a NUL character` };
  }
  for (const c of plan.requiredIndexes) {
    if (cells[c]!.trim() === '') {
      return {
        reason: `column "${plan.names[c]}" is empty and the message has no default for {{${plan.keys[c]}}}`,
        emptyColumn: plan.names[c]!,
      };
    }
  }
  return undefined;
}

// Cells that JSON can take as they are, between quotes.
const JSON_PLAIN = /^[^"\\\u0000-\u001f]*$/;

/** Accumulates one job's rows as staging COPY text. */
export class StagingRows {
  private copy = '';
  private rows = 0;
  private valid = 0;
  private readonly rejected: Rejection[] = [];

  constructor(private readonly plan: ColumnPlan) {}

  add(cells: readonly string[], line: number): void {
    const plan = this.plan;
    const width = plan.width;
    const count = cells.length;
    this.rows++;

    let reason: string | undefined;
    let emptyColumn: string | undefined;
    // A trailing delimiter gives one extra, empty cell: that is not an extra value.
    if (count !== width && !(count === width + 1 && cells[width] === '')) {
      reason = `expected ${width} cells, found ${count}`;
    } else {
      const problem = cellProblem(plan, cells);
      reason = problem?.reason;
      emptyColumn = problem?.emptyColumn;
    }

    let phone = '';
    let timezone = '\\N';
    if (reason === undefined) {
      const res = normalizePhone(cells[plan.phoneIndex]!, plan.region);
      if (res.ok) phone = res.e164;
      else reason = res.reason;
    }
    if (reason === undefined && plan.timezoneIndex >= 0) {
      const tz = cells[plan.timezoneIndex]!.trim();
      if (tz !== '') {
        const canonical = canonicalTimeZone(tz);
        if (canonical) timezone = copyEscape(canonical);
        else reason = `unknown time zone "${tz}" in column "${plan.names[plan.timezoneIndex]}"`;
      }
    }

    if (reason !== undefined) {
      const rej = reject(cells, line, reason);
      if (emptyColumn !== undefined) rej.emptyColumn = emptyColumn;
      this.rejected.push(rej);
      this.copy += `${line}\t\\N\t\\N\t\\N\t${copyEscape(rej.reason)}\t${copyEscape(rej.raw)}\n`;
      return;
    }

    // Variables as JSON text built directly: keys are pre-encoded in the plan,
    // and most cells need no escaping at all.
    let json = '{';
    for (let c = 0; c < width; c++) {
      const key = plan.variableKeys[c];
      if (key === null) continue;
      if (json.length > 1) json += ',';
      const v = cells[c]!;
      json += JSON_PLAIN.test(v) ? `${key}"${v}"` : key + JSON.stringify(v);
    }
    json += '}';
    // JSON escapes control characters, so only its backslashes need COPY escaping.
    if (json.indexOf('\\') >= 0) json = json.replace(/\\/g, '\\\\');
    this.copy += `${line}\t${phone}\t${json}\t${timezone}\t\\N\t\\N\n`;
    this.valid++;
  }

  finish(): NormalizedBatch {
    return { copy: encoder.encode(this.copy), rows: this.rows, valid: this.valid, rejected: this.rejected };
  }
}
