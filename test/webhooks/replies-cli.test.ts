import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { incoming, seedCampaign, seedMessage, seedRecipient, startReceiver } from './helpers.ts';

describe('bluecast replies NAME', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    const campaignId = await seedCampaign(db.pool, { name: 'spring-sale' });
    const a = await seedRecipient(db.pool, campaignId, '+16505550301');
    const b = await seedRecipient(db.pool, campaignId, '+16505550302');
    await seedMessage(db.pool, { campaignId, ...a, to: '+16505550301' });
    await seedMessage(db.pool, { campaignId, ...b, to: '+16505550302' });
    const rx = await startReceiver(db.pool, { startProcessor: false });
    await rx.post(incoming('+16505550301', 'Sounds great, count me in', { at: 1_780_000_000 }));
    await rx.post(incoming('+16505550302', 'STOP', { at: 1_780_000_060 }));
    await rx.close();
    await rx.pipeline.processor.drain();
  });

  it('lists who replied, when, what, and who is opted out', async () => {
    const r = await runCli(['replies', 'spring-sale'], { env: { DATABASE_URL: db.url } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^2026-05-28 20:26:40\s+\+16505550301\s+Sounds great, count me in$/);
    expect(lines[1]).toMatch(/^2026-05-28 20:27:40\s+\+16505550302\s+OPT-OUT\s+opted out\s+STOP$/);
    expect(lines[2]).toBe('2 replies from 2 people, 1 opted out');
  });

  it('--json', async () => {
    const r = await runCli(['replies', 'spring-sale', '--json'], { env: { DATABASE_URL: db.url } });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { campaign: string; replies: Record<string, unknown>[] };
    expect(out.campaign).toBe('spring-sale');
    expect(out.replies).toEqual([
      expect.objectContaining({ from: '+16505550301', at: '2026-05-28T20:26:40.000Z', text: 'Sounds great, count me in', keyword: null, optedOut: false }),
      expect.objectContaining({ from: '+16505550302', at: '2026-05-28T20:27:40.000Z', text: 'STOP', keyword: 'opt_out', optedOut: true }),
    ]);
  });

  it('an unknown campaign fails naming it', async () => {
    const r = await runCli(['replies', 'nope'], { env: { DATABASE_URL: db.url } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/campaign "nope" not found/);
  });
  it('strips terminal control sequences from what people sent', async () => {
    const campaignId = await seedCampaign(db.pool, { name: 'hostile-replies' });
    const a = await seedRecipient(db.pool, campaignId, '+16505550309');
    await seedMessage(db.pool, { campaignId, ...a, to: '+16505550309' });
    const rx = await startReceiver(db.pool);
    expect((await rx.post(incoming('+16505550309', '\u001b[2J\u001b]0;owned\u0007hi \u001b[31mthere\u001b[0m\u202E', { at: 1_780_000_000 }))).status).toBe(200);
    await rx.pipeline.processor.drain();
    await rx.close();
    const r = await runCli(['replies', 'hostile-replies'], { env: { DATABASE_URL: db.url } });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E]/);
    expect(r.stdout).toMatch(/\+16505550309\s+hi there\n/);
  }, 60_000);
});
