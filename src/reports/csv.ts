import type { Readable } from 'node:stream';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { recipientVariableKeysSql, reportRecipientsCsvSql } from '../db/sql/report-recipients-csv.ts';

/**
 * Stream the per-recipient CSV (see reportRecipientsCsvSql) from the server.
 * The pool connection is held until the stream ends, errors or is destroyed
 * (a client that goes away mid-download), and then returned.
 */
export async function recipientsCsvStream(pool: pg.Pool, campaignId: number, runId: number | null = null): Promise<Readable> {
  const client = await pool.connect();
  let released = false;
  const release = (err?: Error) => {
    if (released) return;
    released = true;
    // A COPY cut short leaves the connection mid-protocol: do not reuse it.
    client.release(err ?? undefined);
  };
  try {
    const keys = (await client.query<{ k: string }>(recipientVariableKeysSql, [campaignId])).rows.map((r) => r.k);
    const stream = client.query(copyTo(reportRecipientsCsvSql(campaignId, runId, keys)));
    stream.once('end', () => release());
    stream.once('error', (err: Error) => release(err));
    stream.once('close', () => release(stream.readableEnded ? undefined : new Error('CSV export aborted')));
    return stream;
  } catch (err) {
    release(err as Error);
    throw err;
  }
}
