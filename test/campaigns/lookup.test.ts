import { beforeAll, describe, expect, it } from 'vitest';
import { campaignDefinitionSchema, findCampaign, findCampaignForImport } from '../../src/campaigns/definition.ts';
import { reportCampaign } from '../../src/db/sql/report-campaign.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedCampaign } from '../dispatch/fixtures.ts';

describe('one campaign lookup rule: digits are an id, anything else a name', () => {
  let db: TestDatabase;
  let c: { id: number; name: string };
  beforeAll(async () => {
    db = await createTestDatabase();
    c = await seedCampaign(db.pool, { name: 'lookup-me', recipients: 1 });
  });

  const lookups = {
    findCampaign: async (k: string) => (await findCampaign(db.prisma, k).catch(() => undefined))?.id,
    findCampaignForImport: async (k: string) => (await findCampaignForImport(db.pool, k).catch(() => undefined))?.id,
    reportCampaign: async (k: string) => (await reportCampaign(db.pool, k))?.id,
  };

  it.each(Object.keys(lookups))('%s finds by id and by name, and nothing for an unknown or out-of-range id', async (which) => {
    const look = lookups[which as keyof typeof lookups];
    expect(await look(String(c.id))).toBe(c.id);
    expect(await look(` ${c.id} `)).toBe(c.id);
    expect(await look('lookup-me')).toBe(c.id);
    expect(await look('999999')).toBeUndefined();
    expect(await look('99999999999999')).toBeUndefined();
  });

  it('a name cannot be all digits, so digits never mean a name', () => {
    const res = campaignDefinitionSchema.safeParse({ name: '42', message: 'Hi' });
    expect(res.success).toBe(false);
    expect(JSON.stringify(res.error?.issues)).toMatch(/all digits/);
  });
});
