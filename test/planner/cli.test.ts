import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/db.ts';

describe('bluecast campaign plan', async () => {
  const db = await createTestDatabase();
  const env = { DATABASE_URL: db.url };
  const cli = (...args: string[]) => runCli(args, { env });

  it('prints the forecast (text and --json) as of --now; a bad --now or an unknown campaign is an error naming it', async () => {
    const made = await cli('campaign', 'create', '--name', 'big', '--message', 'Hi', '--from', '+14155550100,+14155550101', '--timezone', 'UTC', '--window', '09:00-17:00', '--new-contacts-per-hour', '10', '--new-contacts-per-day', '40');
    expect(made.stderr).toBe('');
    const { rows } = await db.pool.query<{ id: number }>(`SELECT id FROM campaigns WHERE name = 'big'`);
    await db.pool.query(`INSERT INTO campaign_recipients (campaign_id, phone, timezone) SELECT $1, '+1312555' || lpad(g::text, 4, '0'), 'UTC' FROM generate_series(1, 200) g`, [rows[0]!.id]);
    const [text, json, badNow, unknown, badPhone] = await Promise.all([
      cli('campaign', 'plan', 'big', '--now', '2030-07-01T08:00:00Z', '--explain', '+13125550001', '+13125559999'),
      cli('campaign', 'plan', 'big', '--now', '2030-07-01T08:00:00Z', '--json'),
      cli('campaign', 'plan', 'big', '--now', 'soon'),
      cli('campaign', 'plan', 'nope'),
      cli('campaign', 'plan', 'big', '--explain', '312555'),
    ]);
    expect(text.stderr).toBe('');
    // 2 lines × 40 a day = 80 a day: 200 take three days, from 09:00 UTC.
    expect(text.stdout).toContain('recipients to send: 200');
    // 08:00 in the CSV's zone (UTC): the federal hours allow it, the campaign's 09:00 window does not.
    expect(text.stdout).toMatch(/\+13125550001: wait — earliest 2030-07-01T09:00:00.000Z/);
    expect(text.stdout).toMatch(/campaign\.window \(campaign\) until 2030-07-01T09:00:00.000Z/);
    expect(text.stdout).toContain('+13125559999: not-a-recipient');
    expect(text.stdout).toContain('cost: no price table (set BLUECAST_PRICES)');
    expect(badPhone.code).toBe(2);
    expect(badPhone.stderr).toMatch(/--explain: "312555" is not an E.164 number/);
    expect(text.stdout).toContain('first send:  2030-07-01T09:00:00.000Z');
    expect(text.stdout).toMatch(/2030-07-01 {2}80\n {4}2030-07-02 {2}80\n {4}2030-07-03 {2}40/);
    const plan = JSON.parse(json.stdout);
    expect(plan.forecast.perDay).toEqual([
      { day: '2030-07-01', sends: 80 },
      { day: '2030-07-02', sends: 80 },
      { day: '2030-07-03', sends: 40 },
    ]);
    expect(plan.forecast.waitingPast).toEqual({ days1: 120, days3: 0, days7: 0 });
    expect(badNow.code).toBe(2);
    expect(badNow.stderr).toMatch(/--now: "soon" is not an ISO 8601 time/);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/nope/);
  }, 60_000);
});
