import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/db.ts';

const SAMPLES = fileURLToPath(new URL('../../campaigns/', import.meta.url));

describe('bluecast campaign create --file, list, show, pause, cancel', async () => {
  const db = await createTestDatabase();
  const env = { DATABASE_URL: db.url };
  const cli = (...args: string[]) => runCli(args, { env });

  it('create from the sample definition file imports its CSV; list, show, pause, cancel', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bluecast-campaign-'));
    await copyFile(path.join(SAMPLES, 'spring-sale.json'), path.join(dir, 'spring-sale.json'));
    await copyFile(path.join(SAMPLES, 'spring-sale.csv'), path.join(dir, 'spring-sale.csv'));
    const created = await cli('campaign', 'create', '--file', path.join(dir, 'spring-sale.json'));
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/created campaign spring-sale \(id \d+\): scheduled, on "0 10 \* \* MON" \(America\/New_York\)/);
    expect(created.stdout).toMatch(/total\s+307\n\s+imported\s+301\n\s+duplicates\s+1\n\s+invalid\s+5\n\s+opted out\s+0/);
    expect(created.stdout).toMatch(/line 81: "\+1 555 234 5678" is not a valid phone number for US/);

    const [list, show] = await Promise.all([cli('campaign', 'list'), cli('campaign', 'show', 'spring-sale')]);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+STATUS\s+RECIPIENTS\s+SCHEDULE$/m);
    expect(list.stdout).toMatch(/^\d+\s+spring-sale\s+scheduled\s+301\s+cron "0 10 \* \* MON" \(America\/New_York\)$/m);

    const detail = JSON.parse(show.stdout);
    expect(detail).toMatchObject({ name: 'spring-sale', status: 'scheduled', window: '09:00-20:00', recipients: { total: 301, optedOut: 0 } });
    expect(detail.imports[0]).toMatchObject({ status: 'committed', total: 307, imported: 301, duplicates: 1, invalid: 5 });

    expect((await cli('campaign', 'pause', 'spring-sale')).stdout).toMatch(/campaign spring-sale is now paused/);
    expect((await cli('campaign', 'cancel', 'spring-sale')).stdout).toMatch(/campaign spring-sale is now cancelled \(0 queued message\(s\) cancelled\)/);
    // Five CLI processes, each starting tsx and Prisma: generous on a loaded 2-core machine.
  }, 60_000);
});
