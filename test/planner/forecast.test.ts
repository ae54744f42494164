import { describe, expect, it } from 'vitest';
import { SendRules } from '../../src/compliance/engine.ts';
import { simulate, type PlanCampaign, type RecipientGroup } from '../../src/planner/forecast.ts';
import { campaignRules, NO_LEGAL_RULES } from '../../src/planner/groups.ts';

const lines = (n: number) => Array.from({ length: n }, (_, i) => `+1415555${String(1000 + i)}`);

function campaign(over: Partial<PlanCampaign> = {}): PlanCampaign {
  return {
    id: 1,
    name: 'c',
    timezone: 'UTC',
    window: { startMinute: null, endMinute: null },
    senderLines: lines(16),
    ratePerLine: 1,
    newContactsPerHour: 20,
    newContactsPerDay: 100,
    ...over,
  };
}

const engine = new SendRules(NO_LEGAL_RULES);
/** Recipients in `zone` as the planner groups them: the engine's policy for the campaign's settings. */
function group(c: PlanCampaign, zone: string, stickyLine: string | null, count: number): RecipientGroup {
  return { allowed: engine.policy({ regions: [], zones: [zone], from: [] }, campaignRules(c)).schedule, stickyLine, count };
}

describe('forecast by simulation', () => {
  it('the issue\'s example: 5,000 new contacts on 16 lines at 20/h and 100/day take four days, 1,600 a day', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const c = campaign();
    const f = simulate(c, [group(c, 'UTC', null, 5000)], [], now);
    expect(f.perDay).toEqual([
      { day: '2026-12-01', sends: 1600 },
      { day: '2026-12-02', sends: 1600 },
      { day: '2026-12-03', sends: 1600 },
      { day: '2026-12-04', sends: 200 },
    ]);
    // 20 per line at the top of each hour (20 s at 1/s), five hours a day.
    expect(f.perHour.slice(0, 6).map((h) => h.sends)).toEqual([320, 320, 320, 320, 320, 320]);
    expect(f.perHour[5]!.hour).toBe('2026-12-02T00:00:00.000Z');
    expect(f.firstSend).toBe('2026-12-01T00:00:00.000Z');
    expect(f.lastSend).toBe('2026-12-04T00:00:00.000Z');
    // The last 200 spread over the 16 lines: 13 on the busiest, at 1 a second.
    expect(f.finish).toBe('2026-12-04T00:00:13.000Z');
    // Time jumps from one release of the caps to the next, no per-minute steps:
    // 16 sending moments, and each of the first three days' 05:00, when the
    // hour frees but the day is full.
    expect(f.events).toBe(19);
    // Each day's first hour goes exactly 24 h after the one before (not past it):
    // past 1 day are day 2's last four hours (1,280), day 3 and day 4.
    expect(f.waitingPast).toEqual({ days1: 1280 + 1600 + 200, days3: 0, days7: 0 });
  });

  it('without lines of ours the provider picks the line, and the campaign is paced as one line (as the dispatcher does), not sent at once', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const c = campaign({ senderLines: [], ratePerLine: 1 });
    const f = simulate(c, [group(c, 'UTC', null, 1204)], [], now);
    // 1 a second, no new-contact caps of ours: 1,204 s, within the first hour.
    expect(f.perHour.map((h) => h.sends)).toEqual([1204]);
    expect(f.firstSend).toBe('2026-12-01T00:00:00.000Z');
    const took = (Date.parse(f.finish!) - Date.parse(f.firstSend!)) / 1000;
    expect(took).toBeGreaterThanOrEqual(1200);
    expect(took).toBeLessThanOrEqual(1210);
  });

  it('sticky contacts keep their line and are not under the new-contact caps', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const c = campaign({ senderLines: lines(1) });
    const f = simulate(c, [group(c, 'UTC', lines(1)[0]!, 2000)], [], now);
    // 1 per second on the line: 2,000 s.
    expect(f.perHour[0]!.sends).toBe(2000);
    expect(f.finish).toBe('2026-12-01T00:33:20.000Z');
  });

  it('the campaign window, in each recipient zone, holds sends until it opens', () => {
    const now = new Date('2026-12-01T12:00:00Z'); // 07:00 in New York, 04:00 in Los Angeles
    const c = campaign({ window: { startMinute: 9 * 60, endMinute: 17 * 60 }, newContactsPerHour: 1000, newContactsPerDay: 10000 });
    const f = simulate(c, [
      group(c, 'America/New_York', null, 10),
      group(c, 'America/Los_Angeles', null, 10),
    ], [], now);
    expect(f.firstSend).toBe('2026-12-01T14:00:00.000Z');
    expect(f.perHour).toEqual([
      { hour: '2026-12-01T14:00:00.000Z', sends: 10 },
      { hour: '2026-12-01T17:00:00.000Z', sends: 10 },
    ]);
  });

  it('load already on the lines (other campaigns, earlier sends) uses up their caps', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const c = campaign({ senderLines: lines(1) });
    const f = simulate(c, [group(c, 'UTC', null, 30)], [{ line: lines(1)[0]!, lastHour: 20, lastDay: 100 }], now);
    // The day is full: nothing before the earlier load leaves the rolling day.
    expect(f.firstSend! > '2026-12-01T23:00:00.000Z').toBe(true);
    expect(f.total).toBe(30);
  });

  it('a window that never opens leaves recipients unscheduled, with no finish', () => {
    const c = campaign({ window: { startMinute: 60, endMinute: 60 + 0 } });
    const f = simulate(c, [group(c, 'UTC', null, 1)], [], new Date('2026-12-01T00:00:00Z'), { horizonDays: 2 });
    // start == end means any time (dispatch/window.ts): sent at once.
    expect(f.unscheduled).toBe(0);
  });

  it('a send-by deadline stops the simulation: what is left would expire, with no finish', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const c = campaign({ sendBy: new Date('2026-12-02T12:00:00Z') });
    const f = simulate(c, [group(c, 'UTC', null, 5000)], [], now);
    // Day 1's 1,600 and day 2's first 1,600 (00:00–04:00) go before noon.
    expect(f.perDay.map((d) => d.sends)).toEqual([1600, 1600]);
    expect(f).toMatchObject({ expired: 1800, unscheduled: 0, finish: null });
  });
});
