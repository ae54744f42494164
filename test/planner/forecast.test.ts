import { describe, expect, it } from 'vitest';
import { simulate, type PlanCampaign } from '../../src/planner/forecast.ts';

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

describe('forecast by simulation', () => {
  it('the issue\'s example: 5,000 new contacts on 16 lines at 20/h and 100/day take four days, 1,600 a day', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const f = simulate(campaign(), [{ zone: 'UTC', stickyLine: null, count: 5000 }], [], now);
    expect(f.perDay).toEqual([
      { day: '2026-12-01', sends: 1600 },
      { day: '2026-12-02', sends: 1600 },
      { day: '2026-12-03', sends: 1600 },
      { day: '2026-12-04', sends: 200 },
    ]);
    // 20 per line in the first 15-minute step of each hour, five hours a day.
    expect(f.perHour.slice(0, 6).map((h) => h.sends)).toEqual([320, 320, 320, 320, 320, 320]);
    expect(f.perHour[5]!.hour).toBe('2026-12-02T00:00:00.000Z');
    expect(f.firstSend).toBe('2026-12-01T00:00:00.000Z');
    expect(f.lastSend).toBe('2026-12-04T00:00:00.000Z');
    expect(f.finish).toBe('2026-12-04T00:15:00.000Z');
    // Each day's first hour goes exactly 24 h after the one before (not past it):
    // past 1 day are day 2's last four hours (1,280), day 3 and day 4.
    expect(f.waitingPast).toEqual({ days1: 1280 + 1600 + 200, days3: 0, days7: 0 });
  });

  it('sticky contacts keep their line and are not under the new-contact caps', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const c = campaign({ senderLines: lines(1) });
    const f = simulate(c, [{ zone: 'UTC', stickyLine: lines(1)[0]!, count: 2000 }], [], now);
    // 1 per second on the line: 900 a step.
    expect(f.perHour[0]!.sends).toBe(2000);
    expect(f.finish).toBe('2026-12-01T00:45:00.000Z');
  });

  it('the campaign window, in each recipient zone, holds sends until it opens', () => {
    const now = new Date('2026-12-01T12:00:00Z'); // 07:00 in New York, 04:00 in Los Angeles
    const c = campaign({ window: { startMinute: 9 * 60, endMinute: 17 * 60 }, newContactsPerHour: 1000, newContactsPerDay: 10000 });
    const f = simulate(c, [
      { zone: 'America/New_York', stickyLine: null, count: 10 },
      { zone: 'America/Los_Angeles', stickyLine: null, count: 10 },
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
    const f = simulate(c, [{ zone: 'UTC', stickyLine: null, count: 30 }], [{ line: lines(1)[0]!, lastHour: 20, lastDay: 100 }], now);
    // The day is full: nothing before the earlier load leaves the rolling day.
    expect(f.firstSend! > '2026-12-01T23:00:00.000Z').toBe(true);
    expect(f.total).toBe(30);
  });

  it('a window that never opens leaves recipients unscheduled, with no finish', () => {
    const f = simulate(campaign({ window: { startMinute: 60, endMinute: 60 + 0 } }), [{ zone: 'UTC', stickyLine: null, count: 1 }], [], new Date('2026-12-01T00:00:00Z'), { horizonDays: 2 });
    // start == end means any time (dispatch/window.ts): sent at once.
    expect(f.unscheduled).toBe(0);
  });
});
