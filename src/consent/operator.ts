import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import type pg from 'pg';
import { z } from 'zod';
import { csvLine } from '../lib/csv.ts';
import { consentHistoryPage, upsertContacts, type ConsentRecord } from '../db/sql/consent.ts';
import { inTransaction } from '../db/sql/queryable.ts';
import { ValidationError } from '../lib/errors.ts';
import { normalizePhone } from '../lib/phone.ts';
import { changeConsent, flipped } from './change.ts';

/** An operator's consent action: who asks (cli, api), for which number, and why. */
export const manualOptOutSchema = z.object({
  phone: z.string().min(1).max(40),
  reason: z.string().trim().min(1, 'an opt-out needs a reason').max(500),
  region: z.string().regex(/^[A-Za-z]{2}$/, 'must be a two-letter country code').default('US'),
});
export const manualOptInSchema = z.object({
  phone: z.string().min(1).max(40),
  basis: z.string().trim().min(1, 'an opt-in needs its recorded basis (where and when the person agreed)').max(500),
  region: z.string().regex(/^[A-Za-z]{2}$/, 'must be a two-letter country code').default('US'),
});

export interface ManualResult {
  phone: string;
  /** The state changed (false: it already was so). */
  changed: boolean;
  optedOut: boolean;
  /** Campaign messages stopped (opt-out). */
  skippedMessages: number;
}

function valid<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (!r.success) throw new ValidationError(r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  return r.data;
}

function e164(phone: string, region: string): string {
  const r = normalizePhone(phone, region);
  if (!r.ok) throw new ValidationError([{ path: 'phone', message: r.reason }]);
  return r.e164;
}

/** A manual change, in one transaction: the contact (created for a number never seen) and changeConsent. */
async function manualChange(pool: pg.Pool, kind: 'opt_out' | 'opt_in', p: { phone: string; region: string; note: string }, source: string): Promise<ManualResult> {
  const phone = e164(p.phone, p.region);
  return inTransaction(pool, async (tx) => {
    const id = (await upsertContacts(tx, [phone])).get(phone)!;
    const r = await changeConsent(tx, { kind, keyword: 'MANUAL', source, note: p.note, changes: [{ contactId: id, at: new Date(), inboundMessageId: null }] });
    return { phone, changed: flipped(r, id, kind), optedOut: kind === 'opt_out', skippedMessages: r.skippedMessages };
  });
}

/** A manual opt-out: exactly what a STOP does (changeConsent), keyword MANUAL, the reason kept. */
export async function manualOptOut(pool: pg.Pool, input: z.input<typeof manualOptOutSchema>, source: string): Promise<ManualResult> {
  const p = valid(manualOptOutSchema, input);
  return manualChange(pool, 'opt_out', { phone: p.phone, region: p.region, note: p.reason }, source);
}

/** A manual opt-in, only with its basis (consent must be provable). */
export async function manualOptIn(pool: pg.Pool, input: z.input<typeof manualOptInSchema>, source: string): Promise<ManualResult> {
  const p = valid(manualOptInSchema, input);
  return manualChange(pool, 'opt_in', { phone: p.phone, region: p.region, note: p.basis }, source);
}

export interface SuppressionSummary {
  rows: number;
  /** Numbers opted out by this list (they were not before). */
  optedOut: number;
  /** Numbers already opted out. */
  alreadyOptedOut: number;
  /** Numbers whose later opt-in (after the list's date) stands. */
  overridden: number;
  skippedMessages: number;
}

const PHONE_HEADERS = ['phone', 'number', 'phone_number', 'phonenumber', 'mobile', 'msisdn', 'e164'];
const DATE_HEADERS = ['date', 'opted_out_at', 'opt_out_date', 'at'];
const SOURCE_HEADERS = ['source'];
const CHUNK = 2_000;
const SHOWN_ERRORS = 50;

const isoDate = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * A suppression list (CSV with a header: a number column — phone, number… —
 * and optional date and source columns) opts every number out, exactly as a
 * STOP would. All or nothing: one transaction, rolled back when any row is
 * wrong, with every wrong row named (line, column, why). Streamed and
 * set-based: rows are parsed as they arrive and applied in chunks.
 */
export async function importSuppressionList(
  pool: pg.Pool,
  input: Readable,
  o: { fileName: string; region?: string; source?: string; now?: Date },
): Promise<SuppressionSummary> {
  const region = o.region ?? 'US';
  const now = o.now ?? new Date();
  const errors: { path: string; message: string }[] = [];
  let errorCount = 0;
  const fail = (line: number, column: string, message: string) => {
    errorCount++;
    if (errors.length < SHOWN_ERRORS) errors.push({ path: `line ${line}${column ? ` (${column})` : ''}`, message });
  };
  const summary: SuppressionSummary = { rows: 0, optedOut: 0, alreadyOptedOut: 0, overridden: 0, skippedMessages: 0 };
  const defaultSource = `import ${o.fileName}`;

  return inTransaction(pool, async (tx) => {
    let chunk: { phone: string; at: Date; source: string }[] = [];
    const flush = async () => {
      if (chunk.length === 0 || errorCount > 0) return (chunk = []);
      const ids = await upsertContacts(tx, chunk.map((r) => r.phone));
      // One change per source in the chunk (a list usually has one).
      const bySource = new Map<string, { contactId: number; at: Date; inboundMessageId: null }[]>();
      for (const r of chunk) {
        const list = bySource.get(r.source) ?? [];
        list.push({ contactId: ids.get(r.phone)!, at: r.at, inboundMessageId: null });
        bySource.set(r.source, list);
      }
      for (const [source, changes] of bySource) {
        const r = await changeConsent(tx, { kind: 'opt_out', keyword: 'IMPORT', source, note: null, changes });
        summary.skippedMessages += r.skippedMessages;
        for (const id of new Set(changes.map((c) => c.contactId))) {
          if (!r.applied.has(id)) summary.overridden++;
          else if (r.before.get(id)) summary.alreadyOptedOut++;
          else summary.optedOut++;
        }
      }
      chunk = [];
    };

    const parser = input.pipe(parse({ bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, info: true }));
    input.on('error', (err) => parser.destroy(err));
    let header: { phone: number; date: number; source: number; names: string[] } | null = null;
    try {
      for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        const cells = rec.record;
        const line = rec.info.lines;
        if (!header) {
          const names = cells.map((c) => c.toLowerCase().replace(/[\s-]+/g, '_'));
          const find = (set: string[]) => names.findIndex((n) => set.includes(n));
          header = { phone: find(PHONE_HEADERS), date: find(DATE_HEADERS), source: find(SOURCE_HEADERS), names: cells };
          if (header.phone < 0) {
            throw new ValidationError([{ path: 'header', message: `no number column (one of ${PHONE_HEADERS.join(', ')}); found: ${cells.join(', ') || '(empty)'}` }], o.fileName);
          }
          continue;
        }
        summary.rows++;
        const ph = normalizePhone(cells[header.phone] ?? '', region);
        if (!ph.ok) fail(line, header.names[header.phone]!, ph.reason);
        let at = now;
        const rawDate = header.date >= 0 ? (cells[header.date] ?? '') : '';
        if (rawDate !== '') {
          const d = isoDate.test(rawDate) ? new Date(rawDate) : new Date(NaN);
          if (Number.isNaN(d.getTime())) fail(line, header.names[header.date]!, `"${rawDate.slice(0, 40)}" is not a date (YYYY-MM-DD or ISO 8601)`);
          else if (d.getTime() > now.getTime() + 5 * 60_000) fail(line, header.names[header.date]!, `${rawDate} is in the future`);
          else at = d;
        }
        const rawSource = header.source >= 0 ? (cells[header.source] ?? '') : '';
        if (rawSource.length > 200) fail(line, header.names[header.source]!, 'source is longer than 200 characters');
        if (!ph.ok || errorCount > 0) continue;
        chunk.push({ phone: ph.e164, at, source: rawSource ? `${defaultSource}: ${rawSource}` : o.source ?? defaultSource });
        if (chunk.length >= CHUNK) await flush();
      }
    } catch (err) {
      if (err instanceof ValidationError) throw err;
      const e = err as { code?: string; lines?: number; message?: string };
      if (e.code?.startsWith('CSV_')) throw new ValidationError([{ path: `line ${e.lines ?? '?'}`, message: e.message ?? 'not CSV' }], o.fileName);
      throw err;
    }
    if (!header) throw new ValidationError([{ path: 'file', message: 'the file is empty (a header with a number column is needed)' }], o.fileName);
    if (errorCount > 0) {
      if (errorCount > errors.length) errors.push({ path: '…', message: `${errorCount - errors.length} more wrong rows` });
      throw new ValidationError(errors, `${o.fileName}: nothing imported, ${errorCount} wrong row${errorCount === 1 ? '' : 's'}`);
    }
    await flush();
    return summary;
  });
}

/** The consent history, oldest first, page by page (constant memory however long). */
export async function* consentHistory(pool: pg.Pool, pageSize = 5_000): AsyncGenerator<ConsentRecord> {
  let after = '0';
  for (;;) {
    const page = await consentHistoryPage(pool, { afterId: after, limit: pageSize });
    for (const r of page) yield r;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.id;
  }
}

export const CONSENT_CSV_HEADER = ['number', 'state', 'change', 'time', 'keyword_or_action', 'message', 'source', 'note'];

/** One export row: what proves each change (who, what they or the operator said, when, from where). */
export function consentRow(r: ConsentRecord): Record<string, string | null> {
  return {
    number: r.phone,
    state: r.state,
    change: r.kind,
    time: r.at.toISOString(),
    keyword_or_action: r.keyword,
    message: r.message,
    source: r.source,
    note: r.note,
  };
}

export function consentCsvLine(r: ConsentRecord): string {
  const row = consentRow(r);
  // One CSV writer: text a person sent that could run as a formula is neutralised, E.164 numbers stay plain.
  return csvLine(CONSENT_CSV_HEADER.map((k) => row[k] ?? ''));
}
