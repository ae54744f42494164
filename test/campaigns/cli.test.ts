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

  // Nine CLI processes in six steps, each ~3 s of CPU (Prisma's client and module loading) that a loaded
  // 2-core machine stretches to 10 s and more of wall time: the timeout is a budget for the steps, not a wait.
  it('edit a draft keeps what is not given, refuses a scheduled one; duplicate and archive', async () => {
    const made = await cli('campaign', 'create', '--name', 'spring', '--message', 'Hi {{first_name|there}}', '--rate-per-line', '0.5', '--window', '10:00-18:00');
    expect(made.stderr).toBe('');
    const edit = await cli('campaign', 'edit', 'spring', '--message', 'Hello {{first_name|you}}', '--rename', 'spring-v2');
    expect(edit.stderr).toBe('');
    expect(edit.stdout).toMatch(/campaign spring-v2 \(id \d+\) saved; still a draft/);
    const row = await db.pool.query('SELECT message, rate_per_line, window_start_minute, status FROM campaigns WHERE name = $1', ['spring-v2']);
    expect(row.rows[0]).toEqual({ message: 'Hello {{first_name|you}}', rate_per_line: 0.5, window_start_minute: 600, status: 'draft' });

    const dup = await cli('campaign', 'duplicate', 'spring-v2', '--name', 'spring-copy');
    expect(dup.stdout).toMatch(/created campaign spring-copy \(id \d+\): a draft copy of spring-v2 with 0 recipient\(s\)/);
    const taken = await cli('campaign', 'duplicate', 'spring-v2', '--name', 'spring-copy');
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toMatch(/a campaign named "spring-copy" already exists/);

    await db.pool.query(`UPDATE campaigns SET status = 'scheduled', schedule_at = now() + interval '1 day' WHERE name = 'spring-v2'`);
    // Side by side, as they do not depend on each other (the refusals change nothing).
    const [refused, notNow, archived] = await Promise.all([
      cli('campaign', 'edit', 'spring-v2', '--message', 'Changed'),
      cli('campaign', 'archive', 'spring-v2'),
      cli('campaign', 'archive', 'spring-copy'),
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/is scheduled: only a draft can be edited/);
    expect(notNow.stderr).toMatch(/is scheduled: cancel or unschedule it before archiving it/);
    expect((await db.pool.query('SELECT message, archived_at FROM campaigns WHERE name = $1', ['spring-v2'])).rows[0]).toEqual({ message: 'Hello {{first_name|you}}', archived_at: null });
    expect(archived.stdout).toMatch(/campaign spring-copy is archived \(draft\)/);
    const [listed, listedArchived] = await Promise.all([cli('campaign', 'list'), cli('campaign', 'list', '--archived')]);
    expect(listed.stdout).not.toMatch(/spring-copy/);
    expect(listedArchived.stdout).toMatch(/spring-copy\s+draft \(archived\)/);
  }, 6 * 30_000);

  it('the legal settings: create with --transactional --send-by --recent-contact-hours --on-cap, edit them, bad values named', async () => {
    const made = await cli('campaign', 'create', '--name', 'receipts', '--message', 'Your order shipped', '--transactional', '--send-by', '2030-01-02T00:00:00Z', '--recent-contact-hours', '12', '--on-cap', 'skip', '--json');
    expect(made.stderr).toBe('');
    expect(JSON.parse(made.stdout).campaign.legal).toEqual({ transactional: true, rules: 'federal hours only (transactional)', sendBy: '2030-01-02T00:00:00.000Z', recentContactHours: 12, onCap: 'skip' });
    const row = async () => (await db.pool.query('SELECT transactional, send_by, recent_contact_hours, on_cap FROM campaigns WHERE name = $1', ['receipts'])).rows[0];
    expect(await row()).toEqual({ transactional: true, send_by: new Date('2030-01-02T00:00:00Z'), recent_contact_hours: 12, on_cap: 'skip' });
    const edit = await cli('campaign', 'edit', 'receipts', '--no-transactional', '--on-cap', 'wait');
    expect(edit.stderr).toBe('');
    expect(await row()).toEqual({ transactional: false, send_by: new Date('2030-01-02T00:00:00Z'), recent_contact_hours: 12, on_cap: 'wait' });
    const [cap, hours, late] = await Promise.all([
      cli('campaign', 'create', '--name', 'y', '--message', 'Hi', '--on-cap', 'later'),
      cli('campaign', 'create', '--name', 'y', '--message', 'Hi', '--recent-contact-hours', '0'),
      cli('campaign', 'create', '--name', 'y', '--message', 'Hi', '--at', '2030-01-02T10:00:00Z', '--send-by', '2030-01-02T09:00:00Z'),
    ]);
    expect(cap.code).toBe(2);
    expect(cap.stderr).toMatch(/onCap: must be "wait" or "skip"/);
    expect(hours.code).toBe(2);
    expect(hours.stderr).toMatch(/recentContactHours: must be a whole number from 1 to 8784 hours/);
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/sendBy: .* is not after the send time/);
  }, 60_000);
});
