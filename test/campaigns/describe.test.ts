import { describe, expect, it } from 'vitest';
import { createCampaign, parseCampaignDefinition } from '../../src/campaigns/definition.ts';
import { definitionOf, describeCampaign } from '../../src/campaigns/describe.ts';
import { createTestDatabase } from '../helpers/db.ts';

// The API and the CLI print these objects as JSON: their keys, in this order, are what users and scripts see.
describe('a campaign described and as definition', () => {
  const full = {
    name: 'described', message: 'Hi {{first_name|there}}', variants: ['Hello {{first_name|there}}'], from: ['+14155552671'], fallback: ['imessage_fails'], fallbackFrom: '+14155552672',
    attachments: ['https://example.com/a.png'], fastTrack: true, timezone: 'America/Chicago', window: '08:30-20:00', concurrency: 4, ratePerLine: 0.5, burst: 2,
    newContactsPerHour: 5, newContactsPerDay: 50, jitterMs: 10, maxAttempts: 3, region: 'CA', csv: 'people.csv', readReceipt: true, tapback: 'love', autoReply: 'Thanks',
    optOutConfirmation: 'Bye', transactional: true, sendBy: '2030-01-02T00:00:00.000Z', recentContactHours: 12, onCap: 'skip',
  };

  it('the definition gives back what was defined (schedule aside), keys in order; unset optional ones left out', async () => {
    const db = await createTestDatabase();
    const c = await createCampaign(db, { ...full, at: '2030-01-01T15:00:00Z' });
    const def = definitionOf(c);
    expect(def).toEqual(full);
    expect(Object.keys(def)).toEqual([
      'name', 'message', 'variants', 'from', 'fallback', 'attachments', 'fastTrack', 'timezone', 'window', 'concurrency', 'ratePerLine', 'burst', 'newContactsPerHour',
      'newContactsPerDay', 'jitterMs', 'maxAttempts', 'region', 'readReceipt', 'transactional', 'onCap', 'fallbackFrom', 'csv', 'tapback', 'autoReply', 'optOutConfirmation', 'sendBy', 'recentContactHours',
    ]);
    expect(() => parseCampaignDefinition(def)).not.toThrow();
    const bare = definitionOf(await createCampaign(db, { name: 'bare', message: 'Hi', window: 'any' }));
    expect(bare).toMatchObject({ window: null, fallback: [] });
    for (const k of ['fallbackFrom', 'csv', 'tapback', 'autoReply', 'optOutConfirmation', 'sendBy', 'recentContactHours']) expect(bare).not.toHaveProperty(k);

    const d = await describeCampaign(db.prisma, c);
    expect(Object.keys(d)).toEqual([
      'id', 'name', 'status', 'blocked', 'archivedAt', 'message', 'variants', 'attachments', 'from', 'fallback', 'fastTrack', 'schedule', 'at', 'cron', 'timezone', 'window',
      'pacing', 'region', 'csv', 'legal', 'recipients', 'messages', 'imports', 'createdAt', 'definition',
    ]);
    expect(d).toMatchObject({
      from: ['+14155552671'],
      fallback: { when: ['imessage_fails'], from: '+14155552672' },
      window: '08:30-20:00',
      pacing: { concurrency: 4, ratePerLine: 0.5, burst: 2, newContactsPerHour: 5, newContactsPerDay: 50, jitterMs: 10, maxAttempts: 3 },
      region: 'CA',
      csv: 'people.csv',
      legal: { transactional: true, rules: 'federal hours only (transactional)', sendBy: '2030-01-02T00:00:00.000Z', recentContactHours: 12, onCap: 'skip' },
    });
    expect(Object.keys(d.pacing)).toEqual(['concurrency', 'ratePerLine', 'burst', 'newContactsPerHour', 'newContactsPerDay', 'jitterMs', 'maxAttempts']);
    expect(Object.keys(d.legal)).toEqual(['transactional', 'rules', 'sendBy', 'recentContactHours', 'onCap']);
    expect((await describeCampaign(db.prisma, (await db.prisma.campaign.findUnique({ where: { name: 'bare' } }))!)).window).toBe('any time');
  });
});
