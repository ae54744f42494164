import { Readable } from 'node:stream';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importSuppressionList, manualOptIn, manualOptOut } from '../../src/consent/operator.ts';
import { ValidationError } from '../../src/lib/errors.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { count, incoming, seedCampaign, seedMessage, seedRecipient, seedRun, startReceiver, type Receiver } from '../webhooks/helpers.ts';

const csv = (text: string) => Readable.from([Buffer.from(text)]);
const state = async (db: TestDatabase, phone: string) =>
  (await db.pool.query<{ opted_out: boolean }>('SELECT opted_out FROM contacts WHERE phone = $1', [phone])).rows[0]?.opted_out;

describe('consent: senders as the provider writes them', () => {
  let db: TestDatabase;
  let rx: Receiver;
  beforeAll(async () => {
    db = await createTestDatabase();
    rx = await startReceiver(db.pool);
  });
  afterAll(() => rx?.close());

  it.each([
    ['14155587001', '+14155587001'],
    ['+1 415-558-7002', '+14155587002'],
    ['(415) 558-7003', '+14155587003'],
    ['+1.415.558.7004', '+14155587004'],
  ])('a STOP from %j opts out the real %s, and no contact is made of the string', async (from, e164) => {
    const campaignId = await seedCampaign(db.pool);
    const run = await seedRun(db.pool, campaignId);
    const r = await seedRecipient(db.pool, campaignId, e164);
    const queued = await seedMessage(db.pool, { campaignId, runId: run, ...r, to: e164, status: 'queued' });
    // The 2xx comes after the opt-out is applied.
    expect((await rx.post(incoming(from, 'STOP'))).status).toBe(200);
    expect(await state(db, e164)).toBe(true);
    expect(await count(db.pool, 'SELECT 1 FROM contacts WHERE phone = $1', [from])).toBe(0);
    expect((await db.pool.query('SELECT status, last_error FROM outbound_messages WHERE id = $1', [queued])).rows[0]).toEqual({ status: 'skipped', last_error: 'contact opted out' });
  });

  it('a sender that is no phone number is stored unmatched: no contact, no consent change', async () => {
    const before = await count(db.pool, 'SELECT 1 FROM contacts');
    for (const junk of ['not-a-number', '12', 'SHORTCODE']) expect((await rx.post(incoming(junk, 'STOP'))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await count(db.pool, 'SELECT 1 FROM contacts')).toBe(before);
    const rows = (await db.pool.query(`SELECT from_phone, contact_id, is_opt_out, needs_attention FROM inbound_messages WHERE from_phone = ANY($1) ORDER BY id`, [['not-a-number', '12', 'SHORTCODE']])).rows;
    expect(rows).toEqual(['not-a-number', '12', 'SHORTCODE'].map((f) => ({ from_phone: f, contact_id: null, is_opt_out: true, needs_attention: true })));
  });
});

describe('consent: operator actions', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });

  it('a manual opt-out stops queued messages like a STOP; an opt-in needs its basis', async () => {
    const campaignId = await seedCampaign(db.pool);
    const run = await seedRun(db.pool, campaignId);
    const r = await seedRecipient(db.pool, campaignId, '+16505550401');
    const queued = await seedMessage(db.pool, { campaignId, runId: run, ...r, to: '+16505550401', status: 'queued' });
    const out = await manualOptOut(db.pool, { phone: '(650) 555-0401', reason: 'asked by phone' }, 'test');
    expect(out).toEqual({ phone: '+16505550401', changed: true, optedOut: true, skippedMessages: 1 });
    expect((await db.pool.query('SELECT status FROM outbound_messages WHERE id = $1', [queued])).rows[0]!.status).toBe('skipped');
    await expect(manualOptIn(db.pool, { phone: '+16505550401', basis: '  ' }, 'test')).rejects.toThrow(/basis/);
    await expect(manualOptOut(db.pool, { phone: 'nope', reason: 'x' }, 'test')).rejects.toBeInstanceOf(ValidationError);
    const back = await manualOptIn(db.pool, { phone: '+16505550401', basis: 'signed paper form 2026-11-30' }, 'test');
    expect(back.changed).toBe(true);
    expect(await state(db, '+16505550401')).toBe(false);
    const history = (await db.pool.query(`SELECT kind, keyword, source, note FROM consent_events WHERE contact_id = $1 ORDER BY id`, [r.contactId])).rows;
    expect(history).toEqual([
      { kind: 'opt_out', keyword: 'MANUAL', source: 'test', note: 'asked by phone' },
      { kind: 'opt_in', keyword: 'MANUAL', source: 'test', note: 'signed paper form 2026-11-30' },
    ]);
  });

  it('a suppression list with a wrong row imports nothing and names every wrong row', async () => {
    const list = 'Phone,Date,Source\n+16505550501,2026-11-01,old crm\n555,2026-11-01,\n+16505550502,yesterday,\n+16505550503,2999-01-01,\n';
    const err = await importSuppressionList(db.pool, csv(list), { fileName: 'bad.csv' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual(['line 3 (Phone)', 'line 4 (Date)', 'line 5 (Date)']);
    expect(await state(db, '+16505550501')).toBeUndefined();
    await expect(importSuppressionList(db.pool, csv('name\nx\n'), { fileName: 'nophone.csv' })).rejects.toThrow(/no number column/);
  });

  it('a suppression list opts every number out (creating unknown contacts), stops queued messages, and respects a later opt-in', async () => {
    const campaignId = await seedCampaign(db.pool);
    const run = await seedRun(db.pool, campaignId);
    const r = await seedRecipient(db.pool, campaignId, '+16505550601');
    const queued = await seedMessage(db.pool, { campaignId, runId: run, ...r, to: '+16505550601', status: 'queued' });
    // Opted back in after the list's date: the person's last word stands.
    await manualOptIn(db.pool, { phone: '+16505550603', basis: 'web form' }, 'test');
    await manualOptOut(db.pool, { phone: '+16505550604', reason: 'earlier' }, 'test');
    const rows = ['number,date,source', '+16505550601,,', '650-555-0602,2026-10-01T12:00:00Z,store', '+16505550603,2026-01-01,', '+16505550604,,', '+16505550601,,'];
    const s = await importSuppressionList(db.pool, csv(`${rows.join('\n')}\n`), { fileName: 'list.csv' });
    expect(s).toEqual({ rows: 5, optedOut: 2, alreadyOptedOut: 1, overridden: 1, skippedMessages: 1 });
    expect((await db.pool.query('SELECT status FROM outbound_messages WHERE id = $1', [queued])).rows[0]!.status).toBe('skipped');
    expect(await state(db, '+16505550602')).toBe(true);
    expect(await state(db, '+16505550603')).toBe(false);
    const ev = (await db.pool.query(`SELECT e.source, e.at FROM consent_events e JOIN contacts k ON k.id = e.contact_id WHERE k.phone = '+16505550602'`)).rows;
    expect(ev).toEqual([{ source: 'import list.csv: store', at: new Date('2026-10-01T12:00:00Z') }]);
  });

  it('CLI: opt-out, opt-in (only with --basis), import, and the export that proves each change', async () => {
    const env = { DATABASE_URL: db.url };
    const dir = await mkdtemp(path.join(tmpdir(), 'consent-'));
    const file = path.join(dir, 'suppress.csv');
    await writeFile(file, 'phone\n+16505550701\n+16505550702\n');
    let r = await runCli(['consent', 'opt-out', '+16505550700', '--reason', 'called support'], { env });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/\+16505550700 is now opted out/);
    r = await runCli(['consent', 'opt-in', '+16505550700'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--basis/);
    r = await runCli(['consent', 'opt-in', '+16505550700', '--basis', 'double opt-in 2026-12-01'], { env });
    expect(r.stdout).toMatch(/is now opted in/);
    r = await runCli(['consent', 'import', file], { env });
    expect(r.stdout).toMatch(/2 row\(s\): 2 opted out/);

    // A STOP through the receiver, with the message that caused it.
    const rx = await startReceiver(db.pool);
    expect((await rx.post(incoming('+16505550703', '=HYPERLINK("x") STOP ❤️'))).status).toBe(200);
    await rx.close();

    r = await runCli(['consent', 'export', '--json'], { env });
    expect(r.code).toBe(0);
    const all = JSON.parse(r.stdout) as Record<string, string | null>[];
    const mine = all.filter((x) => String(x.number).startsWith('+1650555070'));
    expect(mine.map((x) => [x.number, x.change, x.keyword_or_action, x.state, x.source])).toEqual([
      ['+16505550700', 'opt_out', 'MANUAL', 'opted_in', 'cli'],
      ['+16505550700', 'opt_in', 'MANUAL', 'opted_in', 'cli'],
      ['+16505550701', 'opt_out', 'IMPORT', 'opted_out', 'import suppress.csv'],
      ['+16505550702', 'opt_out', 'IMPORT', 'opted_out', 'import suppress.csv'],
      ['+16505550703', 'opt_out', 'STOP', 'opted_out', 'imessage reply'],
    ]);
    expect(mine[4]!.message).toBe('=HYPERLINK("x") STOP ❤️');
    r = await runCli(['consent', 'export'], { env });
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('number,state,change,time,keyword_or_action,message,source,note');
    // A person's text never becomes a spreadsheet formula.
    expect(lines.find((l) => l.startsWith('+16505550703'))).toMatch(/,"'=HYPERLINK\(""x""\) STOP ❤️",imessage reply,$/);
  }, 120_000);
});
