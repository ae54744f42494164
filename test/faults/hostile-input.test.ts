import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { importRecipients, type ImportSummary } from '../../src/campaigns/import/import-recipients.ts';
import { loadConfig } from '../../src/config.ts';
import { ValidationError } from '../../src/lib/errors.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { signatureHeader } from '../../src/provider/webhooks.ts';
import { startService, type Service } from '../../src/service.ts';

import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { createPrng, seededPrng, type Prng } from '../helpers/prng.ts';
import { csv, makeCampaign } from '../import/support.ts';
import { count } from '../webhooks/helpers.ts';
import { eventually } from '../helpers/eventually.ts';

const SECRET = 'whsec_hostile_secret_01';
const TOKEN = 'hostile-api-token-0123456789';
// The receiver's default body limit (WEBHOOK_BODY_LIMIT_BYTES).
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

// ---- the CSV corpus ----------------------------------------------------------

const GOOD_ROWS = ['phone,first_name', '+14155552671,Ann', '(415) 555-2672,Bob', '+1 415 555 2673,Cy'];
const good = () => GOOD_ROWS.join('\n') + '\n';

/** Hand-made malformed files, each named for what is wrong with it. */
function handMadeCorpus(r: Prng): [string, Buffer][] {
  const b = (s: string) => Buffer.from(s, 'utf8');
  const huge = 'x'.repeat(2 * 1024 * 1024);
  return [
    ['empty file', Buffer.alloc(0)],
    ['BOM only', Buffer.from([0xef, 0xbb, 0xbf])],
    ['BOM then good file', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b(good())])],
    ['header only', b('phone,first_name\n')],
    ['header only, no newline', b('phone,first_name')],
    ['blank lines only', b('\n\n\r\n\n')],
    ['no phone column', b('name,city\nAnn,Paris\n')],
    ['duplicate column names', b('phone,phone\n+14155552671,+14155552672\n')],
    ['unclosed quote at the end', b('phone,first_name\n+14155552671,"Ann\n+14155552672,Bob\n')],
    ['truncated quote mid-file', b('phone,first_name\n"+14155552671,Ann\n')],
    ['quote inside an unquoted field', b('phone,first_name\n+14155552671,An"n\n+14155552672,Bob\n')],
    ['field longer than the record limit (2 MB)', b(`phone,first_name\n+14155552671,${huge}\n`)],
    ['field longer than the field limit (5,000 chars)', b(`phone,first_name\n+14155552671,${'y'.repeat(5000)}\n+14155552672,Bob\n`)],
    ['header of 10,000 columns', b(`phone,${Array.from({ length: 9999 }, (_, i) => `c${i}`).join(',')}\n+14155552671${',v'.repeat(9999)}\n`)],
    ['10,000 columns in a row, header of 2', b(`phone,first_name\n+14155552671${',v'.repeat(9999)}\n`)],
    ['NUL in a field', b('phone,first_name\n+14155552671,A\u0000nn\n+14155552672,Bob\n')],
    ['NUL in the header', b('pho\u0000ne,first_name\n+14155552671,Ann\n')],
    ['NULs only', Buffer.alloc(4096)],
    ['invalid UTF-8 in a field', Buffer.concat([b('phone,first_name\n+14155552671,'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), b('\n')])],
    ['invalid UTF-8 in the header', Buffer.concat([Buffer.from([0xff, 0xfe]), b('phone\n+14155552671\n')])],
    ['UTF-16 with BOM', Buffer.from('\ufeffphone,first_name\n+14155552671,Ann\n', 'utf16le')],
    ['a split multi-byte character at the end', Buffer.concat([b('phone,first_name\n+14155552671,'), Buffer.from([0xe2, 0x82])])],
    ['CRLF, LF and CR mixed', b('phone,first_name\r\n+14155552671,Ann\n+14155552672,Bob\r+14155552673,Cy\r\n')],
    ['CR only line ends', b('phone,first_name\r+14155552671,Ann\r+14155552672,Bob\r')],
    ['quoted field with embedded CRLF', b('phone,first_name\r\n+14155552671,"Ann\r\nMarie"\r\n')],
    ['ragged rows', b('phone,first_name,city\n+14155552671\n+14155552672,Bob,Paris,extra,extra\n')],
    ['only delimiters', b(',,,,\n,,,,\n,,,,\n')],
    ['semicolon-separated', b('phone;first_name\n+14155552671;Ann\n')],
    ['binary header', Buffer.concat([r.bytes(64), b('\n+14155552671\n')])],
    ['random bytes (64 KiB)', r.bytes(64 * 1024)],
    ['random printable junk', b(Array.from({ length: 20_000 }, () => String.fromCharCode(32 + r.int(95))).join(''))],
    ['formula injection', b('phone,first_name\n+14155552671,=cmd|\'/c calc\'!A1\n+14155552672,@SUM(1+1)\n')],
    ['every phone invalid', b('phone\nnot a phone\n123\n+999999999999999999\n')],
    ['emoji and RTL text', b('phone,first_name\n+14155552671,👩‍👩‍👧‍👦\n+14155552672,\u202eevil\n')],
  ];
}

/** A good file with random damage: bytes flipped, quotes, NULs, CRs, delimiters inserted, or cut short. */
function mutate(r: Prng, base: Buffer): Buffer {
  const bytes = [...base];
  const edits = 1 + r.int(6);
  for (let e = 0; e < edits; e++) {
    const at = r.int(bytes.length + 1);
    switch (r.int(7)) {
      case 0:
        bytes.splice(at, 0, r.pick([0x22, 0x22, 0x2c, 0x0a, 0x0d, 0x00, 0xff, 0xc3]));
        break;
      case 1:
        bytes.splice(at, 1 + r.int(4));
        break;
      case 2:
        bytes.splice(at, 0, ...r.bytes(1 + r.int(8)));
        break;
      case 3:
        bytes.length = Math.min(bytes.length, at); // truncated upload
        break;
      case 4:
        bytes.splice(at, 0, ...Buffer.from(`"${'q'.repeat(r.int(50))}`));
        break;
      case 5:
        bytes.splice(at, 0, ...Buffer.from(','.repeat(1 + r.int(200))));
        break;
      default:
        bytes.splice(at, 0, ...Buffer.from('\r\n\r'));
    }
  }
  return Buffer.from(bytes);
}

function fuzzedCorpus(r: Prng, n: number): [string, Buffer][] {
  const base = Buffer.from(GOOD_ROWS.concat(Array.from({ length: 30 }, (_, i) => `+1415555${String(3000 + i)},P${i}`)).join('\n') + '\n');
  return Array.from({ length: n }, (_, i) => [`mutated #${i}`, mutate(r, base)]);
}

// ---- fuzzed webhook bodies ------------------------------------------------------

function randomString(r: Prng, max: number): string {
  const n = r.int(max);
  const pool = ['a', 'Z', '0', ' ', '"', '\\', '\u0000', '\u2028', 'é', '😀', '\ud800', '\n', '{', '}'];
  let s = '';
  for (let i = 0; i < n; i++) s += r.pick(pool);
  return s;
}

function randomJson(r: Prng, depth = 0): unknown {
  switch (r.int(depth > 4 ? 5 : 8)) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick([0, -1, 1e308, -1e-308, 2 ** 53 + 1, 1.5, 1e21]);
    case 3:
    case 4:
      return randomString(r, 40);
    case 5:
      return Array.from({ length: r.int(5) }, () => randomJson(r, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: r.int(5) }, () => [randomString(r, 10), randomJson(r, depth + 1)]));
  }
}

function deep(levels: number, open: string, close: string, inner = '1'): string {
  return open.repeat(levels) + inner + close.repeat(levels);
}

const KNOWN_TYPES = ['imessage.incoming', 'text.incoming.sms', 'text.incoming.mms', 'text.delivery.confirmed', 'text.delivery.failed', 'numbers.substitution', 'otp.reverse.verified', 'email.incoming'];

/** A body (text or raw bytes) for one fuzzed webhook, with what it is. */
function fuzzedWebhook(r: Prng, i: number): [string, string | Buffer] {
  const id = `evt_fuzz_${r.seed}_${i}`;
  const ts = Math.floor(Date.now() / 1000);
  const envelope = (over: Record<string, unknown>) => JSON.stringify({ id, type: 'imessage.incoming', timestamp: ts, api_version: 'v2025.9.7', data: {}, ...over });
  switch (i % 14) {
    case 0:
      return ['random JSON value', JSON.stringify(randomJson(r))];
    case 1:
      return ['envelope with wrong types', envelope({ id: r.pick([123, null, [], {}, '']), timestamp: r.pick(['yesterday', -5, null, {}]), type: r.pick([42, null, ['x']]) })];
    case 2:
      return ['known type, data of random shape', envelope({ type: r.pick(KNOWN_TYPES), data: randomJson(r) })];
    case 3:
      return ['known type, fields of wrong types', envelope({ type: r.pick(KNOWN_TYPES), data: { from: 5, to: [], body: { x: 1 }, message_id: null, timestamp: 'soon', attachments: 'none' } })];
    case 4:
      return ['unknown type, random data', envelope({ type: `fuzz.${randomString(r, 12)}`, data: randomJson(r) })];
    case 5:
      return ['huge string near the body limit', envelope({ type: 'fuzz.big', data: { s: 'h'.repeat(WEBHOOK_BODY_LIMIT - 400) } })];
    case 6:
      return ['body over the limit', envelope({ type: 'fuzz.big', data: { s: 'H'.repeat(WEBHOOK_BODY_LIMIT + 10) } })];
    case 7:
      return ['arrays nested 5,000 deep', `{"id":"${id}","type":"fuzz.deep","timestamp":${ts},"api_version":"v","data":${deep(5000, '[', ']')}}`];
    case 8:
      return ['objects nested 3,000 deep', `{"id":"${id}","type":"fuzz.deep","timestamp":${ts},"api_version":"v","data":${deep(3000, '{"a":', '}')}}`];
    case 9:
      return ['lone surrogate and NUL escapes in strings', `{"id":"${id}","type":"imessage.incoming","timestamp":${ts},"api_version":"v","data":{"from":"+14155550199","to":"+14155550100","body":"\\ud800 x \\u0000 y \\udfff","timestamp":${ts},"attachments":[]}}`];
    case 10:
      return ['truncated JSON', envelope({ type: 'fuzz.cut', data: randomJson(r) }).slice(0, 10 + r.int(40))];
    case 11:
      return ['invalid UTF-8 bytes', Buffer.concat([Buffer.from(`{"id":"${id}","type":"fuzz.bytes","timestamp":${ts},"api_version":"v","data":"`), r.bytes(32), Buffer.from('"}')])];
    case 12:
      return ['duplicate keys and __proto__', `{"id":"${id}","id":"${id}_b","type":"fuzz.proto","timestamp":${ts},"api_version":"v","data":{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}}`];
    default:
      return ['not JSON at all', r.bytes(1 + r.int(300))];
  }
}

// ---- the test ---------------------------------------------------------------------

/**
 * Hostile input at the edges: malformed CSVs through importRecipients and
 * through the HTTP upload route, fuzzed (validly signed) webhook bodies
 * through the receiver. Nothing crashes the process (the service runs in this
 * one), every answer is a clear 4xx or a summary, never a 5xx, and nothing
 * partial is written: a refused import leaves no recipient, contact or
 * rejection behind; a refused webhook leaves no row.
 */
describe('faults: hostile input', () => {
  const rnd = seededPrng('hostile-input');
  let db: TestDatabase;
  let service: Service;

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 6 });
    const config = loadConfig({ DATABASE_URL: db.url, WEBHOOK_SECRET: SECRET, BLUECAST_API_TOKEN: TOKEN, LOG_LEVEL: 'silent' });
    const app: App = { config, logger: createLogger('silent'), server: { url: db.url, stop: async () => undefined }, db, close: async () => undefined };
    service = await startService(app, { host: '127.0.0.1', port: 0, worker: false, webhooks: { processor: { pollIntervalMs: 100 } } });
  });
  afterAll(() => service?.stop());

  const totals = async () => ({
    contacts: await count(db.pool, 'SELECT 1 FROM contacts'),
    recipients: await count(db.pool, 'SELECT 1 FROM campaign_recipients'),
    rejections: await count(db.pool, 'SELECT 1 FROM import_rejections'),
  });

  /** The database after one import into a fresh campaign: all of it, or nothing but a failed imports row. */
  async function expectWholeOrNothing(name: string, campaignId: number, before: Awaited<ReturnType<typeof totals>>, summary: ImportSummary | null): Promise<void> {
    const after = await totals();
    const mine = await count(db.pool, 'SELECT 1 FROM campaign_recipients WHERE campaign_id = $1', [campaignId]);
    const imports = await db.pool.query<{ status: string; imported: number; error: string | null }>('SELECT status::text, imported, error FROM imports WHERE campaign_id = $1', [campaignId]);
    if (summary) {
      expect(mine, name).toBe(summary.imported);
      expect(after.recipients - before.recipients, name).toBe(summary.imported);
      expect(imports.rows, name).toEqual([{ status: 'committed', imported: summary.imported, error: null }]);
      expect(summary.totalRows, name).toBe(summary.imported + summary.duplicates + summary.invalid + summary.optedOut);
    } else {
      expect(mine, name).toBe(0);
      expect(after, name).toEqual(before);
      // At most the imports row, marked failed with the reason.
      for (const row of imports.rows) expect(row, name).toMatchObject({ status: 'failed', imported: 0, error: expect.any(String) });
    }
  }

  it('malformed CSVs through importRecipients: a summary or a ValidationError naming the file, never partial', async () => {
    const corpus = [...handMadeCorpus(rnd), ...fuzzedCorpus(rnd, 60)];
    const outcomes: Record<string, number> = { summary: 0, refused: 0 };
    for (const [name, bytes] of corpus) {
      const c = await makeCampaign(db);
      const before = await totals();
      let summary: ImportSummary | null = null;
      try {
        summary = await importRecipients(db, c, csv(bytes, 1 + rnd.int(4096)), { fileName: 'hostile.csv' });
        outcomes.summary!++;
      } catch (err) {
        // A clear refusal: a validation error whose message names the file.
        expect(err, `${name}: ${String(err)}`).toBeInstanceOf(ValidationError);
        expect((err as Error).message, name).toMatch(/hostile\.csv/);
        outcomes.refused!++;
      }
      await expectWholeOrNothing(name, c.id, before, summary);
    }
    console.log(`[hostile-input] importRecipients: ${corpus.length} files, ${outcomes.summary} imported with a summary, ${outcomes.refused} refused`);
    // The corpus exercises both sides.
    expect(outcomes.summary).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });

  it('malformed CSVs through POST /api/campaigns/:id/recipients: 201 with a summary or a 4xx with an error, never a 5xx, never partial', async () => {
    const r = createPrng(rnd.seed ^ 0x5eed);
    const corpus = [...handMadeCorpus(r), ...fuzzedCorpus(r, 40)];
    const statuses: Record<number, number> = {};
    for (const [name, bytes] of corpus) {
      const c = await makeCampaign(db);
      const before = await totals();
      const res = await fetch(`${service.url}/api/campaigns/${c.id}/recipients?filename=hostile.csv`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/csv' },
        body: bytes,
      });
      const answer = (await res.json()) as ImportSummary & { error?: string };
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status === 201) {
        expect(answer.campaignId, name).toBe(c.id);
        await expectWholeOrNothing(name, c.id, before, answer);
      } else {
        expect([400, 409, 413], `${name}: ${res.status} ${JSON.stringify(answer)}`).toContain(res.status);
        expect(answer.error, name).toEqual(expect.any(String));
        await expectWholeOrNothing(name, c.id, before, null);
      }
    }
    console.log(`[hostile-input] upload route: ${corpus.length} files, answers ${JSON.stringify(statuses)}`);
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
  });

  it('fuzzed webhook bodies, validly signed: a 2xx only for an event that is then stored and processed, a 4xx otherwise, never a 5xx or a crash', async () => {
    const r = createPrng(rnd.seed ^ 0xbeef);
    const N = 280;
    const bodies = Array.from({ length: N }, (_, i) => fuzzedWebhook(r, i));
    const before = await count(db.pool, 'SELECT 1 FROM webhook_events');
    const limit = pLimit(16);
    const answers = await Promise.all(
      bodies.map(([what, body]) =>
        limit(async () => {
          const res = await fetch(`${service.url}/webhooks/contiguity`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'contiguity-signature': signatureHeader(body, SECRET, Date.now() / 1000) },
            body,
          });
          const text = await res.text();
          return { what, status: res.status, text, body };
        }),
      ),
    );
    const byStatus: Record<string, number> = {};
    for (const a of answers) byStatus[`${a.what} → ${a.status}`] = (byStatus[`${a.what} → ${a.status}`] ?? 0) + 1;
    console.log(`[hostile-input] webhooks: ${JSON.stringify(byStatus, null, 1)}`);
    const unclear = answers.filter((a) => !(a.status === 200 || a.status === 400 || a.status === 413));
    expect(unclear.map((a) => `${a.what}: ${a.status} ${a.text.slice(0, 200)}`)).toEqual([]);
    for (const a of answers.filter((x) => x.status !== 200)) expect(JSON.parse(a.text), a.what).toMatchObject({ error: expect.any(String) });
    expect(answers.filter((a) => a.what === 'body over the limit').every((a) => a.status === 413)).toBe(true);

    // Exactly the acknowledged events were stored, and the processor gets through all of them.
    // An id sent twice (the wrong-types envelope picks among a few) is one
    // event delivered twice: acknowledged both times, stored once.
    const accepted = new Set(answers.filter((a) => a.status === 200).map((a) => String((JSON.parse(String(a.body)) as { id: unknown }).id))).size;
    expect(await count(db.pool, 'SELECT 1 FROM webhook_events')).toBe(before + accepted);
    await eventually(async () => (await count(db.pool, 'SELECT 1 FROM webhook_events WHERE processed_at IS NULL')) === 0, 30_000, 'every event processed', 100);

    // Still alive and still correct: a plain valid event goes through.
    const ok = JSON.stringify({ id: `evt_after_fuzz_${rnd.seed}`, type: 'imessage.incoming', timestamp: Math.floor(Date.now() / 1000), api_version: 'v2025.9.7', data: { from: '+14155550177', to: '+14155550100', body: 'still there?', timestamp: Math.floor(Date.now() / 1000), attachments: [] } });
    const res = await fetch(`${service.url}/webhooks/contiguity`, { method: 'POST', headers: { 'content-type': 'application/json', 'contiguity-signature': signatureHeader(ok, SECRET, Date.now() / 1000) }, body: ok });
    expect(res.status).toBe(200);
    await eventually(async () => (await count(db.pool, `SELECT 1 FROM inbound_messages WHERE body = 'still there?'`)) === 1, 10_000, 'the last reply stored', 50);
  });
});
