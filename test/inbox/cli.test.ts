import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { incoming, LINE, seedCampaign, seedMessage, seedRecipient, startReceiver } from '../webhooks/helpers.ts';

// Each case runs the CLI several times, a few seconds each on a loaded machine.
describe('bluecast inbox / thread', { timeout: 90_000 }, () => {
  let db: TestDatabase;
  const env = () => ({ env: { DATABASE_URL: db.url } });

  beforeAll(async () => {
    db = await createTestDatabase();
    const campaignId = await seedCampaign(db.pool, { name: 'spring-sale' });
    const a = await seedRecipient(db.pool, campaignId, '+16505550401', { first_name: 'Grace' });
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

  it('filters by campaign, line and search', async () => {
    const lines = async (...args: string[]) => (await runCli(['inbox', ...args], env())).stdout.trim().split('\n');
    expect(await lines('--campaign', 'spring-sale')).toHaveLength(2);
    expect(await lines('--campaign', 'spring-sale', '--search', 'sunday')).toEqual([expect.stringMatching(/\+16505550401/)]);
    expect(await lines('--search', '650 555 0402')).toEqual([expect.stringMatching(/\+16505550402/)]);
    expect(await lines('--line', '+14155550199')).toEqual(['no conversation matches']);
    const missing = await runCli(['inbox', '--campaign', 'nope'], env());
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no campaign nope/);
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

  it('saves and lists quick replies, refusing a template that does not compile', async () => {
    expect((await runCli(['quick-replies'], env())).stdout).toMatch(/no quick replies yet/);
    const bad = await runCli(['quick-replies', '--save', 'hours', '--body', 'Hi {{first_name'], env());
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/body/);
    expect((await runCli(['quick-replies', '--save', 'hours', '--body', 'Hi {{first_name|there}}, we open at 9.'], env())).stdout).toMatch(/saved quick reply "hours"/);
    expect((await runCli(['quick-replies', '--save', 'Promo', '--body', 'Code {{promo_code}} is yours'], env())).code).toBe(0);
    expect((await runCli(['quick-replies'], env())).stdout.trim().split('\n').map((l) => l.split(/\s{2,}/)[0])).toEqual(['hours', 'Promo']);
  });

  it('answers with a quick reply, or says which column the person lacks', async () => {

    const sent = await runCli(['thread', '+16505550401', '--quick', 'HOURS'], env());
    expect(sent.stderr).toBe('');
    expect(sent.stdout).toMatch(/answer queued as message \d+.*: Hi Grace, we open at 9\./);
    // A column the person's row lacks, without a default: refused, saying which.
    const missing = await runCli(['thread', '+16505550401', '--quick', 'promo'], env());
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no "promo_code" column/);
    expect((await runCli(['thread', '+16505550401', '--quick', 'nope'], env())).stderr).toMatch(/no quick reply named "nope"/);
    const { rows } = await db.pool.query(`SELECT body FROM outbound_messages WHERE to_phone = '+16505550401' AND kind = 'operator_reply' ORDER BY id`);
    expect(rows.map((r) => r.body)).toEqual(['Yes, until 6 pm!', 'Hi Grace, we open at 9.']);

  });

  it('removes a quick reply', async () => {
    expect((await runCli(['quick-replies', '--remove', 'promo'], env())).stdout).toMatch(/removed/);
    expect((await runCli(['quick-replies', '--remove', 'promo'], env())).code).not.toBe(0);
  });
});
