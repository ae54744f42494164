import type pg from 'pg';
import copyStreams from 'pg-copy-streams';

/**
 * The statements of a recipient CSV import. All but insertImport/failImport
 * run on one connection inside one transaction, so a file is all-or-nothing.
 *
 * Shape of the import: the normalised rows (valid and rejected alike) are
 * COPYed into a temporary staging table in batches; after each batch,
 * set-based statements move them into campaign_recipients and
 * import_rejections, and the staging table is emptied. Contacts are not
 * written: a run creates them when it enqueues (see sql/enqueue.ts). COPY is
 * the cheapest way into PostgreSQL, and the set-based merge lets unique
 * constraints (not application code) decide what is a duplicate.
 */

const STAGING_TABLE = 'import_staging';

/** The imports row is written outside the transaction so a failed import is still on record. */
export async function insertImport(pool: pg.Pool, campaignId: number, fileName: string): Promise<number> {
  const res = await pool.query<{ id: number }>(
    `INSERT INTO imports (campaign_id, file_name, status) VALUES ($1, $2, 'running') RETURNING id`,
    [campaignId, fileName],
  );
  return res.rows[0]!.id;
}

/**
 * Temporary: private to the connection, not WAL-logged, dropped at COMMIT or
 * ROLLBACK whatever happens. No indexes: it is read whole, once per batch.
 */
export async function createStagingTable(client: pg.ClientBase): Promise<void> {
  await client.query(
    `CREATE TEMP TABLE ${STAGING_TABLE} (
       line integer NOT NULL, phone text, variables jsonb, timezone text, reason text, raw text
     ) ON COMMIT DROP`,
  );
}

// Two-key advisory locks (namespace, campaign id) live apart from the
// one-key locks of migrations and line assignment.
const IMPORT_LOCK_NAMESPACE = 726_403_190;

/**
 * Imports into one campaign run one at a time (until COMMIT or ROLLBACK).
 * The lock is also how a `running` import is known to be alive: its
 * transaction takes the lock before the imports row is written and holds it
 * to the end, and PostgreSQL releases it when that connection goes, whether
 * the process was killed or the database itself went down (failAbandonedImports).
 * ON CONFLICT alone would keep concurrent uploads correct, but two of them
 * sharing numbers would wait on each other's rows, in different orders, until
 * PostgreSQL broke the deadlock by failing one.
 */
export async function lockCampaignImports(client: pg.ClientBase, campaignId: number): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1, $2)', [IMPORT_LOCK_NAMESPACE, campaignId]);
}

/** The merge joins and sorts a whole batch; give it memory for that instead of spilling to disk. */
export async function setImportWorkMem(client: pg.ClientBase): Promise<void> {
  await client.query(`SET LOCAL work_mem = '64MB'`);
}

/** A COPY FROM STDIN stream into the staging table (text format, the column order of StagingRows.add). */
export function copyIntoStaging(client: pg.ClientBase): NodeJS.WritableStream & { on(e: 'finish', f: () => void): unknown } {
  return client.query(copyStreams.from(`COPY ${STAGING_TABLE} (line, phone, variables, timezone, reason, raw) FROM STDIN`));
}

export async function insertStagedRejections(client: pg.ClientBase, importId: number): Promise<void> {
  await client.query(
    `INSERT INTO import_rejections (import_id, line, reason, raw)
     SELECT $1, line, reason, raw FROM ${STAGING_TABLE} WHERE reason IS NOT NULL`,
    [importId],
  );
}

// A staged row whose number has opted out. The insert skips exactly the rows
// the count counts, or the derived duplicate count would be wrong.
const STAGED_OPTED_OUT = `EXISTS (SELECT 1 FROM contacts c WHERE c.phone = s.phone AND c.opted_out)`;

/**
 * Staged rows become recipients, except numbers whose contact has opted out
 * (a hash of the opted-out few, through their partial index). The unique
 * (campaign_id, phone) constraint skips numbers the campaign already has,
 * from earlier imports or earlier batches, and repeats within the batch: rows
 * go in by phone, then line, so the first line of a number wins. Phone order
 * fills the unique index in key order, measured 20 % faster than line order;
 * an anti-join against the campaign's recipients instead of ON CONFLICT was
 * faster still on an empty campaign, but hashed every existing recipient on
 * each batch as the campaign grew. The caller derives duplicates as
 * valid − opted out − imported.
 */
export async function insertStagedRecipients(client: pg.ClientBase, campaignId: number, importId: number): Promise<number> {
  const res = await client.query(
    `INSERT INTO campaign_recipients (campaign_id, phone, variables, timezone, import_id, source_line)
     SELECT $1::int, s.phone, s.variables, s.timezone, $2::int, s.line
       FROM ${STAGING_TABLE} s
      WHERE s.phone IS NOT NULL
        AND NOT ${STAGED_OPTED_OUT}
      ORDER BY s.phone, s.line
     ON CONFLICT (campaign_id, phone) DO NOTHING`,
    [campaignId, importId],
  );
  return res.rowCount ?? 0;
}

/** Staged rows whose number has opted out (through the small partial index of opted-out numbers). */
export async function countStagedOptedOut(client: pg.ClientBase): Promise<number> {
  const res = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${STAGING_TABLE} s
      WHERE ${STAGED_OPTED_OUT}`,
  );
  return res.rows[0]!.n;
}

/**
 * The valid staged rows that did not become recipients of this import, as
 * rejections: opted-out numbers, and numbers the campaign already has (from an
 * earlier import, or an earlier line of this file, whose line is named). Run
 * after insertStagedRecipients, and only when the counts say such rows exist,
 * so an upload without them pays nothing; one probe of the (campaign_id,
 * phone) unique index per staged row when it does. The raw cell is the number
 * as normalised: the line identifies the row in the operator's file.
 */
export async function insertStagedSkips(client: pg.ClientBase, campaignId: number, importId: number): Promise<void> {
  await client.query(
    `INSERT INTO import_rejections (import_id, line, reason, raw, kind)
     SELECT $2::int, s.line,
            CASE WHEN ${STAGED_OPTED_OUT} THEN 'opted out: this number asked to receive no more messages'
                 WHEN r.import_id = $2::int THEN 'duplicate: the same number as line ' || r.source_line
                 ELSE 'duplicate: already a recipient of this campaign (import #' || coalesce(r.import_id::text, '?') || ', line ' || coalesce(r.source_line::text, '?') || ')'
            END,
            s.phone,
            CASE WHEN ${STAGED_OPTED_OUT} THEN 'opted_out' ELSE 'duplicate' END
       FROM ${STAGING_TABLE} s
       LEFT JOIN campaign_recipients r ON r.campaign_id = $1::int AND r.phone = s.phone
      WHERE s.phone IS NOT NULL
        AND (r.phone IS NULL OR r.import_id IS DISTINCT FROM $2::int OR r.source_line IS DISTINCT FROM s.line)`,
    [campaignId, importId],
  );
}

export async function truncateStaging(client: pg.ClientBase): Promise<void> {
  await client.query(`TRUNCATE ${STAGING_TABLE}`);
}

export interface ImportCounts {
  totalRows: number;
  imported: number;
  duplicates: number;
  invalid: number;
  optedOut: number;
}

/** Inside the import's transaction: the counts commit with the rows they describe. */
export async function completeImport(client: pg.ClientBase, importId: number, counts: ImportCounts, sha256: string): Promise<void> {
  await client.query(
    `UPDATE imports SET status = 'committed', total_rows = $2, imported = $3, duplicates = $4, invalid = $5,
            opted_out = $6, file_sha256 = $7, finished_at = now()
      WHERE id = $1`,
    [importId, counts.totalRows, counts.imported, counts.duplicates, counts.invalid, counts.optedOut, sha256],
  );
}

export const ABANDONED_IMPORT_REASON =
  'abandoned: the importing process or the database stopped before the import finished; nothing of it was kept, import the file again';

/**
 * Mark failed the imports left `running` by a process that is gone; returns
 * their ids. Run at start-up by long-running commands and the import command.
 *
 * Why this shape: a live import holds its campaign's advisory lock for its
 * whole transaction (lockCampaignImports), taken before its imports row
 * exists. If the lock is free, no live import of that campaign exists, so its
 * `running` rows are leftovers of a killed process or a crashed database:
 * their transaction was rolled back by PostgreSQL. One statement; the
 * transaction-scoped try-lock is released at its end and never waits. The
 * status is checked again on the row itself so that an import that commits
 * meanwhile keeps its result.
 */
export async function failAbandonedImports(db: pg.Pool | pg.ClientBase): Promise<number[]> {
  const res = await db.query<{ id: number }>(
    `WITH running AS MATERIALIZED (SELECT id, campaign_id FROM imports WHERE status = 'running')
     UPDATE imports i
        SET status = 'failed', error = $2, finished_at = now()
       FROM running r
      WHERE i.id = r.id AND i.status = 'running'
        AND pg_try_advisory_xact_lock($1, r.campaign_id)
     RETURNING i.id`,
    [IMPORT_LOCK_NAMESPACE, ABANDONED_IMPORT_REASON],
  );
  return res.rows.map((r) => r.id);
}

/** After a rollback: the import is on record as failed, with why. */
export async function failImport(pool: pg.Pool, importId: number, error: string): Promise<void> {
  // The reason may quote the file, and a text column cannot hold U+0000: the
  // UPDATE would fail and leave the import `running` for ever.
  await pool.query(`UPDATE imports SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status = 'running'`, [
    importId,
    error.replaceAll('\u0000', '\uFFFD').slice(0, 2000),
  ]);
}

/** One page of an import's rejected rows in line order (keyset on line, id). */
export async function rejectionsPage(
  pool: pg.Pool,
  importId: number,
  after: { line: number; id: number } | undefined,
  limit: number,
): Promise<{ id: number; line: number; reason: string; raw: string | null; kind: string }[]> {
  const res = await pool.query<{ id: number; line: number; reason: string; raw: string | null; kind: string }>(
    `SELECT id, line, reason, raw, kind FROM import_rejections
      WHERE import_id = $1 AND (line, id) > ($2, $3)
      ORDER BY line, id LIMIT $4`,
    [importId, after?.line ?? -1, after?.id ?? -1, limit],
  );
  return res.rows;
}

/** An import's file name and campaign name (for naming its download), or undefined. */
export async function importFileOf(pool: pg.Pool, importId: number): Promise<{ file_name: string; campaign: string } | undefined> {
  const res = await pool.query<{ file_name: string; campaign: string }>(
    'SELECT i.file_name, c.name AS campaign FROM imports i JOIN campaigns c ON c.id = i.campaign_id WHERE i.id = $1',
    [importId],
  );
  return res.rows[0];
}
