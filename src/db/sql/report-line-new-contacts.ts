import type { Queryable } from './queryable.ts';

/**
 * Contacts first reached on each line since midnight in `timezone`, across
 * all campaigns: the figure the per-line daily cap on new contacts is about.
 * Range scans of the (sticky_line, sticky_line_assigned_at) index, one per
 * line; "today" is computed by the database's clock, like the timestamps.
 */
export async function reportLineNewContacts(db: Queryable, lines: string[], timezone: string): Promise<Map<string, number>> {
  if (lines.length === 0) return new Map();
  const res = await db.query<{ line: string; n: number }>(
    `SELECT sticky_line AS line, count(*)::int8 AS n
       FROM contacts
      WHERE sticky_line = ANY($1::text[])
        AND sticky_line_assigned_at >= (date_trunc('day', now() AT TIME ZONE $2) AT TIME ZONE $2)
      GROUP BY sticky_line`,
    [lines, timezone],
  );
  return new Map(res.rows.map((r) => [r.line, r.n]));
}
