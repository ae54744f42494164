import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/db.ts';

describe('bluecast campaign …', async () => {
  const db = await createTestDatabase();
  const env = { DATABASE_URL: db.url };
  const cli = (...args: string[]) => runCli(args, { env });

  it('create from flags; --at and --cron together, a bad cron or time zone are usage errors naming the problem', async () => {
    const [ok, both, cron, zone] = await Promise.all([
      cli('campaign', 'create', '--name', 'weekly', '--message', '{Hi|Hello} {{first_name|there}}', '--cron', '0 9 * * 1', '--timezone', 'Europe/Paris', '--from', '+14155550100,+14155550101', '--window', '08:00-19:30', '--rate-per-line', '0.5'),
      cli('campaign', 'create', '--name', 'x', '--message', 'Hi', '--at', '2030-01-01T10:00:00Z', '--cron', '0 9 * * *'),
      cli('campaign', 'create', '--name', 'x', '--message', 'Hi', '--cron', '0 25 * * *'),
      cli('campaign', 'create', '--name', 'x', '--message', 'Hi', '--at', '2030-01-01T10:00:00Z', '--timezone', 'Europe/Pariss'),
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/^created campaign weekly \(id \d+\): scheduled, on "0 9 \* \* 1" \(Europe\/Paris\)$/m);
    const row = await db.pool.query('SELECT sender_lines, window_start_minute, window_end_minute, rate_per_line, burst_per_line, new_contacts_per_hour FROM campaigns WHERE name = $1', ['weekly']);
    expect(row.rows[0]).toEqual({ sender_lines: ['+14155550100', '+14155550101'], window_start_minute: 480, window_end_minute: 1170, rate_per_line: 0.5, burst_per_line: 5, new_contacts_per_hour: 20 });

    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/option '--at <iso>' cannot be used with option '--cron <expr>'/);
    expect(cron.code).toBe(2);
    expect(cron.stderr).toMatch(/cron: "0 25 \* \* \*" is not a valid cron expression/);
    expect(zone.code).toBe(2);
    expect(zone.stderr).toMatch(/timezone: unknown time zone "Europe\/Pariss"/);
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM campaigns WHERE name = 'x'`)).rows[0].n).toBe(0);
  }, 60_000);

});
