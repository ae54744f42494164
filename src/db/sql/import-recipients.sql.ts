import type pg from 'pg';
import copyStreams from 'pg-copy-streams';

/**
 * The statements of a recipient CSV import. All but insertImport/failImport
 * run on one connection inside one transaction, so a file is all-or-nothing.
 *
 * Shape of the import: the normalised rows (valid and rejected alike) are
 * COPYed into a temporary staging table in batches; after each batch,
 * set-based statements move them into contacts, campaign_recipients and
 * import_rejections, and the staging table is emptied. COPY is the cheapest
 * way into PostgreSQL, and the set-based merge lets unique constraints (not
 * application code) decide what is a duplicate.
 */

export const STAGING_TABLE = 'import_staging';

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

/** The merge joins and sorts a whole batch; give it memory for that instead of spilling to disk. */
export async function setImportWorkMem(client: pg.ClientBase): Promise<void> {
  await client.query(`SET LOCAL work_mem = '64MB'`);
}

/** A COPY FROM STDIN stream into the staging table (text format, the column order of normalizeBatch). */
export function copyIntoStaging(client: pg.ClientBase): NodeJS.WritableStream & { on(e: 'finish', f: () => void): unknown } {
  return client.query(copyStreams.from(`COPY ${STAGING_TABLE} (line, phone, variables, timezone, reason, raw) FROM STDIN`));
}

/**
 * Fresh statistics for each batch (~0.1-0.2 s): the staging table is emptied
 * and refilled, and in the benchmark the merge ran about twice as long
 * without them.
 */
export async function analyzeStaging(client: pg.ClientBase): Promise<void> {
  await client.query(`ANALYZE ${STAGING_TABLE}`);
}

export async function insertStagedRejections(client: pg.ClientBase, importId: number): Promise<number> {
  const res = await client.query(
    `INSERT INTO import_rejections (import_id, line, reason, raw)
     SELECT $1, line, reason, raw FROM ${STAGING_TABLE} WHERE reason IS NOT NULL`,
    [importId],
  );
  return res.rowCount ?? 0;
}

/**
 * New numbers become contacts. The anti-join skips numbers we already know
 * (no sequence value burnt, no speculative insertion); ON CONFLICT covers a
 * contact created concurrently by another import or an inbound message.
 * Sorted so that the phone index is filled in key order.
 */
export async function insertStagedContacts(client: pg.ClientBase): Promise<number> {
  const res = await client.query(
    `INSERT INTO contacts (phone)
     SELECT DISTINCT s.phone FROM ${STAGING_TABLE} s
      WHERE s.phone IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.phone = s.phone)
      ORDER BY s.phone
     ON CONFLICT (phone) DO NOTHING`,
  );
  return res.rowCount ?? 0;
}

/**
 * Staged rows become recipients, one per number (the first line wins), except
 * opted-out contacts. The unique (campaign_id, phone) constraint decides
 * duplicates against the campaign's existing recipients and earlier batches;
 * the caller derives duplicates as valid − opted out − imported.
 */
export async function insertStagedRecipients(
  client: pg.ClientBase,
  campaignId: number,
  importId: number,
): Promise<{ imported: number; optedOut: number }> {
  const res = await client.query<{ imported: number; opted_out: number }>(
    `WITH src AS (
       SELECT s.line, s.phone, s.variables, s.timezone, c.id AS contact_id, c.opted_out
         FROM ${STAGING_TABLE} s JOIN contacts c ON c.phone = s.phone
        WHERE s.phone IS NOT NULL
     ), ins AS (
       INSERT INTO campaign_recipients (campaign_id, contact_id, phone, variables, timezone, import_id, source_line)
       SELECT DISTINCT ON (phone) $1::int, contact_id, phone, variables, timezone, $2::int, line
         FROM src WHERE NOT opted_out
        ORDER BY phone, line
       ON CONFLICT (campaign_id, phone) DO NOTHING
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM ins)::int AS imported,
            (SELECT count(*) FROM src WHERE opted_out)::int AS opted_out`,
    [campaignId, importId],
  );
  const row = res.rows[0]!;
  return { imported: row.imported, optedOut: row.opted_out };
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
): Promise<{ id: number; line: number; reason: string; raw: string | null }[]> {
  const res = await pool.query<{ id: number; line: number; reason: string; raw: string | null }>(
    `SELECT id, line, reason, raw FROM import_rejections
      WHERE import_id = $1 AND (line, id) > ($2, $3)
      ORDER BY line, id LIMIT $4`,
    [importId, after?.line ?? -1, after?.id ?? -1, limit],
  );
  return res.rows;
}
