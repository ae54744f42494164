import { Readable } from 'node:stream';
import { createCampaign } from '../../src/campaigns/definition.ts';
import { importRecipients, type ImportOptions } from '../../src/campaigns/import/import-recipients.ts';
import type { Database } from '../../src/db/database.ts';
import type { Campaign } from '../../src/generated/prisma/client.ts';

let seq = 0;

/** A campaign with a unique name; message defaults to one without required columns. */
export async function makeCampaign(db: Database, over: Record<string, unknown> = {}): Promise<Campaign> {
  return createCampaign(db, { name: `c${process.pid}-${++seq}`, message: 'Hi {{first_name|there}}', ...over });
}

/** A byte stream of `text`, delivered in small chunks so that chunk boundaries are exercised. */
export function csv(text: string | Buffer, chunkSize = 7): Readable {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return Readable.from(
    (function* () {
      for (let i = 0; i < buf.length; i += chunkSize) yield buf.subarray(i, i + chunkSize);
    })(),
  );
}

export function runImport(db: Database, campaign: Campaign, text: string | Buffer, opts: Partial<ImportOptions> = {}) {
  return importRecipients(db, campaign, csv(text), { fileName: 'people.csv', ...opts });
}

export async function recipientsOf(db: Database, campaignId: number) {
  const res = await db.pool.query<{ phone: string; variables: Record<string, string>; timezone: string | null; source_line: number }>(
    'SELECT phone, variables, timezone, source_line FROM campaign_recipients WHERE campaign_id = $1 ORDER BY source_line',
    [campaignId],
  );
  return res.rows;
}
