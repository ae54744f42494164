import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { pipeline, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import type { Database } from '../../db/database.ts';
import type { CampaignImportRow } from '../../db/sql/campaign-lookup.sql.ts';
import {
  completeImport,
  copyIntoStaging,
  countStagedOptedOut,
  createStagingTable,
  failImport,
  insertImport,
  insertStagedRecipients,
  insertStagedRejections,
  insertStagedSkips,
  lockCampaignImports,
  setImportWorkMem,
  truncateStaging,
  type ImportCounts,
} from '../../db/sql/import-recipients.sql.ts';
import { ConflictError } from '../../lib/errors.ts';
import { compileTemplate, requiredVariables } from '../template.ts';
import { planColumns, type ColumnPlan } from './columns.ts';
import { ImportFileError } from './errors.ts';
import type { NormalizedBatch, Rejection } from './normalize-rows.ts';
import { parseRecords, type JobResult, type ParseJob } from './parse-job.ts';
import { RecordSplitter, type SplitJob } from './record-splitter.ts';
import { inThreadNormalizer, workerNormalizer, type BatchNormalizer } from './normalizer-pool.ts';
import { Utf8Check } from './utf8-check.ts';

/** What an import needs to know about its campaign (a Prisma Campaign fits). */
export type ImportTarget = Omit<CampaignImportRow, 'csvPath'>;

export interface ImportOptions {
  /** Shown in messages and stored on the imports row. */
  fileName: string;
  /** Default country for numbers without a country code; the campaign's region by default. */
  region?: string;
  phoneColumn?: string;
  /** Longest cell accepted (characters); longer rejects the row. */
  maxFieldLength?: number;
  /** Longest record (bytes): beyond it the file is refused (an unclosed quote, usually). */
  maxRecordBytes?: number;
  /** Bytes per parse job (cut on record boundaries). */
  jobBytes?: number;
  /** Rows per staging flush (COPY + merge). */
  flushRows?: number;
  /** Worker threads for phone validation once a file proves large; 0 = always in-thread. */
  threads?: number;
  /** Bytes processed in-thread before workers are started (small files never start them). */
  inThreadBytes?: number;
  /** How many rejected rows the summary carries (all are stored). */
  rejectionSample?: number;
  onProgress?: (bytesRead: number) => void;
  /** Test hooks: e.g. throw after some rows to prove the import is all-or-nothing. */
  hooks?: { afterFlush?: (rowsStaged: number) => void | Promise<void> };
}

export interface ImportSummary extends ImportCounts {
  importId: number;
  campaignId: number;
  fileName: string;
  /** The first rejected rows, in line order. */
  rejected: Rejection[];
  /** Rows whose template column was empty, by column. */
  unfilled: { column: string; count: number; lines: number[] }[];
  threads: number;
  elapsedMs: number;
  /** Where the time went (ms): database statements, and waiting for the database with parsed rows ready. */
  timings: { copy: number; recipients: number; other: number; waitingForDb: number };
}

const DEFAULTS = {
  maxFieldLength: 1000,
  maxRecordBytes: 1024 * 1024,
  jobBytes: 128 * 1024,
  flushRows: 50_000,
  inThreadBytes: 512 * 1024,
  rejectionSample: 100,
};

/**
 * Import a recipients CSV into a campaign, all-or-nothing: the whole file is
 * one transaction. The input is streamed, never held whole: the main thread
 * checks the bytes are UTF-8 and cuts them into jobs on record boundaries;
 * jobs are parsed (csv-parse) and normalised (libphonenumber) on worker
 * threads once the file proves large, in-thread before that; results are
 * taken in file order, COPYed into a staging table and merged set-wise in
 * batches while the next jobs are parsed. A failure anywhere rolls everything
 * back and leaves the imports row marked failed with the reason.
 */
export async function importRecipients(
  db: Pick<Database, 'pool'>,
  campaign: ImportTarget,
  input: Readable,
  options: ImportOptions,
): Promise<ImportSummary> {
  const started = performance.now();
  const opts = { ...DEFAULTS, ...options };
  const check = new Utf8Check(opts.fileName, opts.onProgress);
  // Wired at once so that an input failing early (a dropped upload) is seen;
  // errors from either stream surface through `check`'s async iterator.
  pipeline(input, check, () => undefined);

  let importId: number | undefined;
  let client: pg.PoolClient | undefined;
  let normalizer: BatchNormalizer | undefined;
  let flushing: Promise<void> = Promise.resolve();
  try {
    if (campaign.status === 'cancelled' || campaign.status === 'completed') {
      throw new ConflictError(`campaign "${campaign.name}" is ${campaign.status}; recipients cannot be added`);
    }
    const required = requiredVariables(compileTemplate(campaign.message, campaign.variants));
    const region = (opts.region ?? campaign.defaultRegion).toUpperCase();
    // The main thread only splits bytes; parsing and validation go to one worker per core.
    const threads = opts.threads ?? Math.min(Math.max(availableParallelism(), 1), 4);
    const conn = (client = await db.pool.connect());
    await conn.query('BEGIN');
    // The lock first: a `running` row whose campaign lock is free is a dead import (failAbandonedImports).
    await lockCampaignImports(conn, campaign.id);
    const id = (importId = await insertImport(db.pool, campaign.id, opts.fileName));
    await setImportWorkMem(conn);
    await createStagingTable(conn);

    const counts: ImportCounts = { totalRows: 0, imported: 0, duplicates: 0, invalid: 0, optedOut: 0 };
    const rejected: Rejection[] = [];
    const unfilled = new Map<string, { count: number; lines: number[] }>();
    let staged = 0;

    const timings = { copy: 0, recipients: 0, other: 0, waitingForDb: 0 };
    const timed = async <T>(key: keyof typeof timings, fn: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      try {
        return await fn();
      } finally {
        timings[key] += performance.now() - t0;
      }
    };
    const flush = async (chunks: Uint8Array[], rows: number, valid: number, hasRejections: boolean) => {
      await timed('copy', async () => {
        const copy = copyIntoStaging(conn);
        for (const chunk of chunks) if (!copy.write(chunk)) await once(copy, 'drain');
        copy.end();
        await finished(copy);
      });
      if (hasRejections) await timed('other', () => insertStagedRejections(conn, id));
      const imported = await timed('recipients', () => insertStagedRecipients(conn, campaign.id, id));
      const optedOut = await timed('other', () => countStagedOptedOut(conn));
      // Rows left out though valid (duplicates, opted out) are stored with the invalid ones.
      if (valid > imported) await timed('other', () => insertStagedSkips(conn, campaign.id, id));
      counts.imported += imported;
      counts.optedOut += optedOut;
      counts.duplicates += valid - optedOut - imported;
      await timed('other', () => truncateStaging(conn));
      staged += rows;
      await opts.hooks?.afterFlush?.(staged);
    };

    // Normalised batches waiting to be flushed.
    let buffer: Uint8Array[] = [];
    let bufferedRows = 0;
    let bufferedValid = 0;
    let bufferedRejections = false;
    const startFlush = async () => {
      const chunks = buffer;
      const rows = bufferedRows;
      const valid = bufferedValid;
      const hasRejections = bufferedRejections;
      buffer = [];
      bufferedRows = bufferedValid = 0;
      bufferedRejections = false;
      // One connection: a flush waits for the one before while parsing goes on.
      await timed('waitingForDb', () => flushing);
      flushing = flush(chunks, rows, valid, hasRejections);
      flushing.catch(() => undefined); // observed by the next await of `flushing`
    };

    const consume = async (out: NormalizedBatch) => {
      buffer.push(out.copy);
      counts.totalRows += out.rows;
      bufferedRows += out.rows;
      bufferedValid += out.valid;
      counts.invalid += out.rejected.length;
      if (out.rejected.length) bufferedRejections = true;
      for (const r of out.rejected) {
        if (rejected.length < opts.rejectionSample) rejected.push(r);
        if (r.emptyColumn !== undefined) {
          const u = unfilled.get(r.emptyColumn) ?? { count: 0, lines: [] };
          u.count++;
          if (u.lines.length < 20) u.lines.push(r.line);
          unfilled.set(r.emptyColumn, u);
        }
      }
      if (bufferedRows >= opts.flushRows) await startFlush();
    };

    // Jobs being parsed and normalised, oldest first: results are consumed in file order.
    const inflight: Promise<JobResult>[] = [];
    const maxInflight = Math.max(2, threads * 2);
    let inThread: BatchNormalizer | undefined;
    let dispatchedBytes = 0;
    const settle = async (limit: number) => {
      while (inflight.length > limit) {
        const out = await inflight.shift()!;
        if (out.error) throw new ImportFileError(opts.fileName, `line ${out.error.line}: ${out.error.message}`);
        await consume(out);
      }
    };
    const dispatch = async (plan: ColumnPlan, job: ParseJob) => {
      // Small files never pay for starting workers; large ones switch once they prove large.
      if (threads > 0 && dispatchedBytes >= opts.inThreadBytes) normalizer ??= workerNormalizer(plan, threads);
      const use = normalizer ?? (inThread ??= inThreadNormalizer(plan));
      dispatchedBytes += job.bytes.byteLength;
      const p = use.normalize(job);
      p.catch(() => undefined); // awaited in order by settle()
      inflight.push(p);
      await settle(normalizer ? maxInflight : 0);
    };

    // The header is read here, from the first job that has a non-blank record;
    // jobs before it hold only blank lines.
    let plan: ColumnPlan | undefined;
    const take = async (job: SplitJob) => {
      let skipHeader = false;
      if (!plan) {
        const { records, error } = parseRecords(job.bytes, job.startLine);
        if (error) throw new ImportFileError(opts.fileName, `line ${error.line}: ${error.message}`);
        const header = records[0];
        if (!header) return;
        plan = planColumns(header.cells, {
          phoneColumn: opts.phoneColumn,
          region,
          requiredVariables: required,
          maxFieldLength: opts.maxFieldLength,
          fileName: opts.fileName,
          headerLine: header.line,
        });
        skipHeader = true;
      }
      await dispatch(plan, { ...job, skipHeader });
    };

    const splitter = new RecordSplitter(opts.fileName, opts.jobBytes, opts.maxRecordBytes);
    for await (const chunk of check as AsyncIterable<Buffer>) {
      for (const job of splitter.push(chunk)) await take(job);
    }
    const last = splitter.end();
    if (last) await take(last);
    if (!plan) throw new ImportFileError(opts.fileName, 'the file is empty: expected a header row naming the columns (e.g. phone,first_name) and then one row per recipient');
    await settle(0);
    if (bufferedRows) await startFlush();
    await flushing;

    await completeImport(conn, id, counts, check.digest());
    await conn.query('COMMIT');
    rejected.sort((a, b) => a.line - b.line);
    return {
      importId: id,
      campaignId: campaign.id,
      fileName: opts.fileName,
      ...counts,
      rejected: rejected.map(({ line, reason, raw }) => ({ line, reason, raw })),
      unfilled: [...unfilled].map(([column, u]) => ({ column, ...u })),
      threads: normalizer?.threads ?? 0,
      elapsedMs: Math.round(performance.now() - started),
      timings: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])) as ImportSummary['timings'],
    };
  } catch (err) {
    input.destroy();
    check.destroy();
    // The connection may be mid-COPY: let the flush settle before rolling back.
    await flushing.catch(() => undefined);
    let rolledBack = true;
    if (client) rolledBack = await client.query('ROLLBACK').then(() => true, () => false);
    if (!rolledBack) {
      client?.release(true); // a broken connection must not go back to the pool
      client = undefined;
    }
    if (importId !== undefined) await failImport(db.pool, importId, err instanceof Error ? err.message : String(err)).catch(() => undefined);
    throw err;
  } finally {
    client?.release();
    await normalizer?.close();
  }
}
