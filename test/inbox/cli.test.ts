import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { incoming, LINE, seedCampaign, seedMessage, seedRecipient, startReceiver } from '../webhooks/helpers.ts';

describe('bluecast inbox / thread', () => {
  let db: TestDatabase;
  const env = () => ({ env: { DATABASE_URL: db.url } });

  beforeAll(async () => {
    db = await createTestDatabase();
    const campaignId = await seedCampaign(db.pool, { name: 'spring-sale' });
    const a = await seedRecipient(db.pool, campaignId, '+16505550401');
    const b = await seedRecipient(db.pool, campaignId, '+16505550402');
    await seedMessage(db.pool, { campaignId, ...a, to: '+16505550401' });
    await seedMessage(db.pool, { campaignId, ...b, to: '+16505550402' });
    const rx = await startReceiver(db.pool, { startProcessor: false });
    await rx.post(incoming('+16505550401', 'Is the sale on Sunday too?', { at: Math.floor(Date.now() / 1000) + 5 }));
    await rx.post(incoming('+16505550402', 'STOP', { at: Math.floor(Date.now() / 1000) + 10 }));
    await rx.close();
    await rx.pipeline.processor.drain();
  });

  it('lists conversations with unread counts and consent', async () => {
    const r = await runCli(['inbox', '--unread'], env());
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/\+16505550402.*1 unread, opted out.*← STOP/);
    expect(lines[1]).toMatch(/\+16505550401.*1 unread .*← Is the sale on Sunday too\?/);
  });

  it('shows a thread in order and answers it through the send path', async () => {
    const shown = await runCli(['thread', '+16505550401'], env());
    expect(shown.code).toBe(0);
    expect(shown.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/)[2])).toEqual(['campaign', 'reply']);
    const sent = await runCli(['thread', '(650) 555-0401', '--reply', 'Yes, until 6 pm!'], env());
    expect(sent.stderr).toBe('');
    expect(sent.stdout).toMatch(/answer queued as message \d+/);
    const { rows } = await db.pool.query(`SELECT kind, status, from_line, body FROM outbound_messages WHERE to_phone = '+16505550401' AND kind = 'operator_reply'`);
    // Queued for the dispatcher, which sends it like any conversation message.
    expect(rows).toEqual([{ kind: 'operator_reply', status: 'queued', from_line: LINE, body: 'Yes, until 6 pm!' }]);
  });

  it('refuses to answer an opted-out person, saying why', async () => {
    const r = await runCli(['thread', '+16505550402', '--reply', 'Sorry to see you go'], env());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/opted out: nothing can be sent/);
    const { rows } = await db.pool.query(`SELECT 1 FROM outbound_messages WHERE to_phone = '+16505550402' AND kind = 'operator_reply'`);
    expect(rows).toEqual([]);
  });
});
