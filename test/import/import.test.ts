import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { importRecipients } from '../../src/campaigns/import/import-recipients.ts';
import { ImportFileError } from '../../src/campaigns/import/errors.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { csv, makeCampaign, recipientsOf, runImport } from './support.ts';

// Valid US numbers (libphonenumber accepts these); +1 555 … is not a real area code.
const A = '+14155552671';
const B = '+14155552672';
const C = '+12125550143';

describe('CSV import: what real files contain', async () => {
  const db = await createTestDatabase();

  it('BOM, CRLF, quoted commas/quotes/newlines, blank lines and trailing delimiters all import', async () => {
    const c = await makeCampaign(db);
    const text =
      '\ufeffPhone,First Name,Note,\r\n' + // line 1: header with a trailing delimiter
      '+1 415 555 2671,Ann,"Smith, Jr.",\r\n' + // 2
      '\r\n' + // 3: blank
      '(415) 555-2672,"Bob ""Bobby""","two\r\nlines"\r\n' + // 4-5
      ',,,\r\n' + // 6: an all-empty row (Excel) is a blank line
      '212.555.0143,Cleo,plain,\r\n'; // 7
    const s = await runImport(db, c, text);
    expect(s).toMatchObject({ totalRows: 3, imported: 3, duplicates: 0, invalid: 0, optedOut: 0, rejected: [] });
    expect(await recipientsOf(db, c.id)).toEqual([
      { phone: A, variables: { first_name: 'Ann', note: 'Smith, Jr.' }, timezone: null, source_line: 2 },
      { phone: B, variables: { first_name: 'Bob "Bobby"', note: 'two\r\nlines' }, timezone: null, source_line: 4 },
      { phone: C, variables: { first_name: 'Cleo', note: 'plain' }, timezone: null, source_line: 7 },
    ]);
  });

  it('finds the phone column by name in any case, or as told; applies the region', async () => {
    const c = await makeCampaign(db);
    const s = await runImport(db, c, 'name,MOBILE\nAnn,020 7946 0958\n', { region: 'GB' });
    expect(s.imported).toBe(1);
    expect((await recipientsOf(db, c.id))[0]!.phone).toBe('+442079460958');

    const d = await makeCampaign(db);
    const t = await runImport(db, d, 'who,cell no\nAnn,415-555-2671\n', { phoneColumn: 'Cell No' });
    expect(t.imported).toBe(1);
    expect(await recipientsOf(db, d.id)).toEqual([expect.objectContaining({ phone: A, variables: { who: 'Ann' } })]);
  });

  it('keeps a valid timezone column (canonical name) out of the variables', async () => {
    const c = await makeCampaign(db);
    await runImport(db, c, 'phone,timezone,first_name\n4155552671,america/los_angeles,Ann\n4155552672,,Bob\n');
    expect(await recipientsOf(db, c.id)).toEqual([
      expect.objectContaining({ phone: A, timezone: 'America/Los_Angeles', variables: { first_name: 'Ann' } }),
      expect.objectContaining({ phone: B, timezone: null, variables: { first_name: 'Bob' } }),
    ]);
  });
});

describe('CSV import: each bad row is rejected with its line and reason, the rest imported', async () => {
  const db = await createTestDatabase();

  it('reports every kind of bad row exactly', async () => {
    const c = await makeCampaign(db, { message: 'Hi {{first_name}}, {{city|friend}}' });
    const long = 'x'.repeat(21);
    const text = [
      'phone,first_name,city,timezone', // 1
      `${A},Ann,SF,America/New_York`, // 2 ok
      `${B},Bob,LA,America/Chicago,extra`, // 3 extra cell
      `${C},Cleo`, // 4 missing cells
      `+1 555 123 4567,Dan,NY,`, // 5 invalid number
      `hello,Eve,NY,`, // 6 not a number
      `,Fay,NY,`, // 7 empty number
      `4155550100,Gus,NY,Mars/Olympus`, // 8 unknown zone
      `4155550101,,NY,`, // 9 empty required column
      `4155550102,${long},NY,`, // 10 too long
      `4155550103,"Ha\0l",NY,`, // 11 NUL
      `"4155550104","Ivy","multi`, // 12
      `line city",`, // 13 (same record as 12): ok
    ].join('\n');
    const s = await runImport(db, c, text, { maxFieldLength: 20 });
    expect(s.rejected).toEqual([
      { line: 3, reason: 'expected 4 cells, found 5', raw: `${B},Bob,LA,America/Chicago,extra` },
      { line: 4, reason: 'expected 4 cells, found 2', raw: `${C},Cleo` },
      { line: 5, reason: '"+1 555 123 4567" is not a valid phone number for US', raw: '+1 555 123 4567,Dan,NY,' },
      { line: 6, reason: '"hello" is not a phone number', raw: 'hello,Eve,NY,' },
      { line: 7, reason: 'phone number is empty', raw: ',Fay,NY,' },
      { line: 8, reason: 'unknown time zone "Mars/Olympus" in column "timezone"', raw: '4155550100,Gus,NY,Mars/Olympus' },
      { line: 9, reason: 'column "first_name" is empty and the message has no default for {{first_name}}', raw: '4155550101,,NY,' },
      { line: 10, reason: 'cell "first_name" is 21 characters long (limit 20)', raw: `4155550102,${long},NY,` },
      { line: 11, reason: 'cell "first_name" contains a NUL character', raw: '4155550103,Hal,NY,' },
    ]);
    expect(s).toMatchObject({ totalRows: 11, imported: 2, invalid: 9, duplicates: 0, optedOut: 0 });
    expect(s.unfilled).toEqual([{ column: 'first_name', count: 1, lines: [9] }]);
    expect((await recipientsOf(db, c.id)).map((r) => [r.phone, r.source_line])).toEqual([
      [A, 2],
      ['+14155550104', 12],
    ]);
    // Every rejection is stored with the import, in line order.
    const stored = await db.pool.query('SELECT line, reason FROM import_rejections WHERE import_id = $1 ORDER BY line', [s.importId]);
    expect(stored.rows.map((r) => r.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const imp = await db.pool.query('SELECT status, total_rows, imported, invalid, file_sha256 FROM imports WHERE id = $1', [s.importId]);
    expect(imp.rows[0]).toMatchObject({ status: 'committed', total_rows: 11, imported: 2, invalid: 9 });
    expect(imp.rows[0].file_sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('CSV import: problems with the whole file are one clear error, and nothing is written', async () => {
  const db = await createTestDatabase();

  async function refused(text: string | Buffer, message: RegExp, over: Record<string, unknown> = {}) {
    const c = await makeCampaign(db, over);
    const err = await runImport(db, c, text).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportFileError);
    expect((err as Error).message).toMatch(message);
    expect(await recipientsOf(db, c.id)).toEqual([]);
    const imp = await db.pool.query('SELECT status, error FROM imports WHERE campaign_id = $1', [c.id]);
    expect(imp.rows).toEqual([{ status: 'failed', error: (err as Error).message }]);
  }

  it('invalid UTF-8 (a Latin-1 file) names the line', async () => {
    const latin1 = Buffer.concat([Buffer.from(`phone,name\n${A},Ann\n${B},Jos`), Buffer.from([0xe9]), Buffer.from('\n')]);
    await refused(latin1, /^people\.csv: the file is not valid UTF-8 text \(invalid byte at offset 44, line 3\)/);
  });

  it('an empty file, or one with only blank lines', async () => {
    await refused('', /people\.csv: the file is empty: expected a header row/);
    await refused('\n\r\n,,\n', /the file is empty/);
  });

  it('no header row', async () => {
    await refused(`${A},Ann\n${B},Bob\n`, /line 1: the file has no header row \(the first line looks like data/);
  });

  it('a NUL in the header: refused, and the imports row is still marked failed (with U+FFFD in its place)', async () => {
    const c = await makeCampaign(db);
    const err = await runImport(db, c, `pho\u0000ne,name\n${A},Ann\n`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportFileError);
    expect(await recipientsOf(db, c.id)).toEqual([]);
    const imp = await db.pool.query('SELECT status, error FROM imports WHERE campaign_id = $1', [c.id]);
    expect(imp.rows).toEqual([{ status: 'failed', error: (err as Error).message.replaceAll('\u0000', '\uFFFD') }]);
  });

  it('no phone column', async () => {
    await refused('name,city\nAnn,SF\n', /line 1: no phone column: name it phone, phone_number, mobile, number .* the header has: name, city/);
  });

  it('a template column the file lacks, named', async () => {
    await refused(`phone,name\n${A},Ann\n`, /the message uses \{\{first_name\}\} without a default, but the file has no "first_name" column/, {
      message: 'Hello {{first_name}}',
    });
  });

  it('a quote that is never closed', async () => {
    await refused(`phone,name\n${A},Ann\n${B},"Bob\n${C},Cleo\n`, /line 3: a quoted cell is never closed/);
  });
});

describe('CSV import: duplicates, opt-outs, idempotence, all-or-nothing', async () => {
  const db = await createTestDatabase();

  it('counts duplicates within the file and against existing recipients; skips opted-out contacts', async () => {
    const c = await makeCampaign(db);
    await db.pool.query(`INSERT INTO contacts (phone, opted_out, opted_out_at) VALUES ($1, true, now())`, [C]);
    const first = await runImport(db, c, `phone,first_name\n${A},Ann\n(415) 555-2671,Ann again\n${C},Cleo\n`);
    expect(first).toMatchObject({ totalRows: 3, imported: 1, duplicates: 1, invalid: 0, optedOut: 1 });
    // First line wins within a file.
    expect(await recipientsOf(db, c.id)).toEqual([expect.objectContaining({ phone: A, variables: { first_name: 'Ann' }, source_line: 2 })]);

    const second = await runImport(db, c, `phone,first_name\n${A},Ann\n${B},Bob\n`);
    expect(second).toMatchObject({ totalRows: 2, imported: 1, duplicates: 1, optedOut: 0 });
    expect((await recipientsOf(db, c.id)).map((r) => r.phone).sort()).toEqual([A, B]);

    // Every row left out is on record with why, for the download of rejected rows.
    const left = await db.pool.query('SELECT import_id, line, kind, reason, raw FROM import_rejections WHERE import_id = ANY($1) ORDER BY import_id, line', [[first.importId, second.importId]]);
    expect(left.rows).toEqual([
      { import_id: first.importId, line: 3, kind: 'duplicate', reason: 'duplicate: the same number as line 2', raw: A },
      { import_id: first.importId, line: 4, kind: 'opted_out', reason: 'opted out: this number asked to receive no more messages', raw: C },
      { import_id: second.importId, line: 2, kind: 'duplicate', reason: `duplicate: already a recipient of this campaign (import #${first.importId}, line 2)`, raw: A },
    ]);
  });

  it('importing the same file again adds nothing', async () => {
    const c = await makeCampaign(db);
    const text = `phone,first_name\n${A},Ann\n${B},Bob\nnope,X\n`;
    const first = await runImport(db, c, text);
    expect(first).toMatchObject({ imported: 2, duplicates: 0, invalid: 1 });
    const again = await runImport(db, c, text);
    expect(again).toMatchObject({ totalRows: 3, imported: 0, duplicates: 2, invalid: 1 });
    expect(await recipientsOf(db, c.id)).toHaveLength(2);
  });

  function rows(n: number, from = 0): string {
    let out = 'phone,first_name\n';
    for (let i = from; i < from + n; i++) out += `+1 415 ${200 + Math.floor(i / 10000)} ${String(i % 10000).padStart(4, '0')},P${i}\n`;
    return out;
  }

  it('two uploads into one campaign at once, sharing numbers: both commit, each number once, the shared ones counted as duplicates', async () => {
    const c = await makeCampaign(db);
    const small = { flushRows: 50, jobBytes: 2000 };
    const [x, y] = await Promise.all([runImport(db, c, rows(300, 0), small), runImport(db, c, rows(300, 150), small)]);
    expect(x.imported + y.imported).toBe(450);
    expect(x.duplicates + y.duplicates).toBe(150);
    expect([x.imported, y.imported].sort()).toEqual([150, 300]);
    expect(await recipientsOf(db, c.id)).toHaveLength(450);
  });

  it('a failure after part of the file was merged leaves no recipients and no contacts', async () => {
    const c = await makeCampaign(db);
    const contactsBefore = (await db.pool.query('SELECT count(*)::int AS n FROM contacts')).rows[0].n;
    const err = await runImport(db, c, rows(500), {
      flushRows: 100,
      jobBytes: 1000,
      hooks: {
        afterFlush: (staged) => {
          if (staged >= 200) throw new Error('injected failure after 200 rows');
        },
      },
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('injected failure after 200 rows');
    expect(await recipientsOf(db, c.id)).toEqual([]);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM contacts')).rows[0].n).toBe(contactsBefore);
    const imp = await db.pool.query('SELECT status, error FROM imports WHERE campaign_id = $1', [c.id]);
    expect(imp.rows).toEqual([{ status: 'failed', error: 'injected failure after 200 rows' }]);
    const rej = await db.pool.query('SELECT count(*)::int AS n FROM import_rejections r JOIN imports i ON i.id = r.import_id WHERE i.campaign_id = $1', [c.id]);
    expect(rej.rows[0].n).toBe(0);
  });

  it('an input stream that breaks mid-file (a dropped upload) leaves nothing', async () => {
    const c = await makeCampaign(db);
    // Half a file arrives, then nothing more until the connection drops.
    const text = rows(400, 1000);
    const input = new Readable({ read() {} });
    input.push(text.slice(0, text.lastIndexOf('\n', text.length / 2) + 1));
    const err = await importRecipients(db, c, input, {
      fileName: 'upload.csv',
      flushRows: 50,
      jobBytes: 500,
      // The connection "drops" once part of the file is already merged.
      hooks: { afterFlush: () => void input.destroy(new Error('connection reset by peer')) },
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('connection reset by peer');
    expect(await recipientsOf(db, c.id)).toEqual([]);
  });

  it('worker threads give the same result as the in-thread path', async () => {
    const text = rows(1200, 5000) + 'bad,row\n+1 555 000 0000,x\n';
    const inThread = await makeCampaign(db);
    const threaded = await makeCampaign(db);
    const a = await runImport(db, inThread, text, { threads: 0 });
    const b = await importRecipients(db, threaded, csv(text, 4096), { fileName: 'big.csv', threads: 2, inThreadBytes: 0, jobBytes: 2000, flushRows: 1000 });
    expect(a.threads).toBe(0);
    expect(b.threads).toBe(2);
    const strip = (s: typeof a) => ({ ...s, importId: 0, campaignId: 0, fileName: '', threads: 0, elapsedMs: 0, timings: null });
    expect(strip(b)).toEqual(strip(a));
    expect(b).toMatchObject({ totalRows: 1202, imported: 1200, invalid: 2 });
    const ra = (await recipientsOf(db, inThread.id)).map((r) => [r.phone, r.source_line, r.variables]);
    const rb = (await recipientsOf(db, threaded.id)).map((r) => [r.phone, r.source_line, r.variables]);
    expect(rb).toEqual(ra);
  });

  it('refuses a cancelled campaign', async () => {
    const c = await makeCampaign(db);
    await db.pool.query(`UPDATE campaigns SET status = 'cancelled' WHERE id = $1`, [c.id]);
    await expect(runImport(db, { ...c, status: 'cancelled' }, `phone\n${A}\n`)).rejects.toThrow(/is cancelled; recipients cannot be added/);
  });
});
