import type pg from 'pg';

export interface CampaignImportRow {
  id: number;
  name: string;
  message: string;
  variants: string[];
  defaultRegion: string;
  status: string;
  csvPath: string | null;
}

/**
 * The fields an import needs, by id (all digits) or name, on the raw pool.
 * Bulk imports use this instead of Prisma so that a CLI import does not load
 * the Prisma engine at all (tens of MB of its memory budget).
 */
export async function campaignForImport(pool: pg.Pool, nameOrId: string): Promise<CampaignImportRow | undefined> {
  const byId = /^\d{1,9}$/.test(nameOrId);
  const res = await pool.query<CampaignImportRow>(
    `SELECT id, name, message, variants, default_region AS "defaultRegion", status::text AS status, csv_path AS "csvPath"
       FROM campaigns WHERE ${byId ? 'id = $1::int' : 'name = $1'}`,
    [nameOrId],
  );
  return res.rows[0];
}
