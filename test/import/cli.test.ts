import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { formulaSafe } from '../../src/lib/csv.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { makeCampaign } from './support.ts';

describe('bluecast import', async () => {
  const db = await createTestDatabase();
  const env = { DATABASE_URL: db.url };

  it('prints the summary and the first rejected rows; --errors writes every rejected row as CSV', async () => {
    const c = await makeCampaign(db, { message: 'Hi {{name}}' });
    const dir = await mkdtemp(path.join(tmpdir(), 'bluecast-import-'));
    const file = path.join(dir, 'list.csv');
    await writeFile(file, 'Name,Cell\nAnn,(415) 555-2671\nBob,+1 555 123 4567\n,4155552672\nAnn,415.555.2671\n"Eve, Jr.",nope\n');
    const errors = path.join(dir, 'errors.csv');
    const r = await runCli(['import', c.name, file, '--phone-column', 'cell', '--errors', errors], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/import #\d+ of list\.csv:\n\s+total\s+5\n\s+imported\s+1\n\s+duplicates\s+1\n\s+invalid\s+3\n\s+opted out\s+0\n/);
    expect(r.stdout).toMatch(/1 row\(s\) have an empty "Name" and the message has no default for it: line\(s\) 4/);
    expect(r.stdout).toMatch(/line 3: "\+1 555 123 4567" is not a valid phone number for US/);
    // Every row left out: the invalid ones and the duplicate (line 5 repeats line 2's number).
    expect(r.stdout).toMatch(/wrote 4 rejected row\(s\) to /);
    expect(await readFile(errors, 'utf8')).toBe(
      'line,kind,reason,raw\n' +
        '3,invalid,"""+1 555 123 4567"" is not a valid phone number for US","Bob,+1 555 123 4567"\n' +
        '4,invalid,"column ""Name"" is empty and the message has no default for {{name}}",",4155552672"\n' +
        '5,duplicate,duplicate: the same number as line 2,+14155552671\n' +
        '6,invalid,"""nope"" is not a phone number","""Eve, Jr."",nope"\n',
    );
  });

  it('--errors writes formula-safe cells: rejected rows that start a formula are neutralised, numbers stay', async () => {
    const c = await makeCampaign(db);
    const dir = await mkdtemp(path.join(tmpdir(), 'bluecast-import-'));
    const file = path.join(dir, 'evil.csv');
    await writeFile(file, "phone\n=1+1\n@SUM(A1:A9)\n+1+cmd|' /C calc'!A0\n-5\n+14155552671\n");
    const errors = path.join(dir, 'errors.csv');
    const r = await runCli(['import', c.name, file, '--errors', errors], { env });
    expect(r.code, r.stderr).toBe(0);
    const rows = parse(await readFile(errors, 'utf8'), { columns: true }) as { line: string; reason: string; raw: string }[];
    expect(rows.map((x) => x.raw)).toEqual(["'=1+1", "'@SUM(A1:A9)", "'+1+cmd|' /C calc'!A0", '-5']);
    for (const row of rows) for (const v of Object.values(row)) expect(formulaSafe(v)).toBe(v);
  });

  it('a file with no header is one clear error (exit 2) and imports nothing', async () => {
    const c = await makeCampaign(db);
    const dir = await mkdtemp(path.join(tmpdir(), 'bluecast-import-'));
    const file = path.join(dir, 'raw.csv');
    await writeFile(file, '4155552671,Ann\n4155552672,Bob\n');
    const r = await runCli(['import', c.name, file], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/raw\.csv: line 1: the file has no header row/);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM campaign_recipients WHERE campaign_id = $1', [c.id])).rows[0].n).toBe(0);
  });
});
