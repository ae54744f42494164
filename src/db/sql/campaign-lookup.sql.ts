import type pg from 'pg';
import { CONTROL_CHARS, parseRowId } from '../../lib/ids.ts';

/**
 * The one campaign lookup rule: digits are an id, anything else a name (a
 * campaign's name cannot be all digits: campaignDefinitionSchema). Null when
 * no campaign can match: an id out of the column's range, or a name no
 * campaign may have (control characters, over 200 characters).
 */
export function campaignKey(nameOrId: string | number): { id: number } | { name: string } | null {
  const text = String(nameOrId).trim();
  if (/^\d+$/.test(text)) {
    const id = parseRowId(text);
    return id === undefined ? null : { id };
  }
  return CONTROL_CHARS.test(text) || text.length > 200 ? null : { name: text };
}

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
  const key = campaignKey(nameOrId);
  if (!key) return undefined;
  const res = await pool.query<CampaignImportRow>(
    `SELECT id, name, message, variants, default_region AS "defaultRegion", status::text AS status, csv_path AS "csvPath"
       FROM campaigns WHERE ${'id' in key ? 'id = $1::int' : 'name = $1'}`,
    ['id' in key ? key.id : key.name],
  );
  return res.rows[0];
}
