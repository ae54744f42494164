import Holidays from 'date-holidays';
import { describe, expect, it } from 'vitest';
import { SendRules, type CampaignRules } from '../../src/compliance/engine.ts';
import { locate } from '../../src/compliance/location.ts';
import type { Rule } from '../../src/compliance/schema.ts';
import { loadRulesTable } from '../../src/compliance/table.ts';

/**
 * The compiled schedules against a naive reference: for each instant, every
 * zone's wall clock by Intl, every rule read straight from the table, holidays
 * straight from date-holidays. Any disagreement at a DST change, a midnight, a
 * holiday or a zone boundary fails here.
 */
const table = loadRulesTable();
const rules = new SendRules(table);
const campaign: CampaignRules = { window: null, transactional: false, zone: 'America/New_York', onCap: 'wait' };
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const clocks = new Map<string, Intl.DateTimeFormat>();
function wall(t: number, zone: string) {
  let f = clocks.get(zone);
  if (!f) clocks.set(zone, (f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })));
  const p = Object.fromEntries(f.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  return { iso: `${p.year}-${p.month}-${p.day}`, year: Number(p.year), minute: Number(p.hour) * 60 + Number(p.minute), day: DAYS.indexOf(p.weekday!.toLowerCase().slice(0, 3) as (typeof DAYS)[number]) };
}

const holidayDays = new Map<string, Set<string>>();
function isHoliday(calendar: string, year: number, iso: string): boolean {
  const key = `${calendar}${year}`;
  let set = holidayDays.get(key);
  if (!set) {
    const [c, s] = calendar.split('-');
    set = new Set(new Holidays(c!, s!).getHolidays(year).filter((h) => h.type === 'public').map((h) => h.date.slice(0, 10)));
    holidayDays.set(key, set);
  }
  return set.has(iso);
}

const inRanges = (ranges: readonly (readonly [number, number])[], m: number) => ranges.some(([s, e]) => m >= s && m < e);

function referenceAllows(t: number, regions: readonly string[], zones: readonly string[]): boolean {
  const codes = new Set(['US', ...regions.filter((r) => table.jurisdictions[r])]);
  const applicable: Rule[] = [...codes].flatMap((c) => table.jurisdictions[c]!.rules);
  return zones.every((zone) => {
    const w = wall(t, zone);
    return applicable.every((r) => {
      if (r.kind === 'hours') {
        const ranges = r.allowed[DAYS[w.day]!] ?? r.allowed.daily;
        return ranges === undefined || inRanges(ranges, w.minute);
      }
      if (r.kind === 'holidays') return !isHoliday(r.calendar, w.year, w.iso) || inRanges(r.allowed, w.minute);
      return true;
    });
  });
}

const weeks = ['2026-03-05', '2026-07-01', '2026-10-29', '2026-11-23'].map((d) => Date.parse(`${d}T00:00:00Z`));
const phones = { FL: '+13055550100', FL_SPLIT: '+18505550100', TX: '+12145550100', TX_MOUNTAIN: '+19155550100', AL: '+12055550100', LA: '+15045550100', RI: '+14015550100', WA: '+12065550100', KY_SPLIT: '+12705550100', OR_SPLIT: '+15415550100', NY: '+12125550100' };

describe('compiled schedules agree with a naive per-instant reference', () => {
  it.each(Object.entries(phones))('%s: every 17 minutes over four weeks (DST changes, 4 July, Thanksgiving)', (_name, phone) => {
    const loc = locate({ phone });
    const policy = rules.policy(loc, campaign);
    let checked = 0;
    for (const start of weeks) {
      for (let t = start; t < start + 7 * 86_400_000; t += 17 * 60_000) {
        const expected = referenceAllows(t, loc.regions, loc.zones);
        const d = rules.evaluate(policy, new Date(t));
        if ((d.verdict === 'send') !== expected) expect.fail(`${new Date(t).toISOString()}: engine ${d.verdict}, reference ${expected ? 'allowed' : 'blocked'}`);
        if (d.verdict === 'wait') {
          // The earliest time: allowed there, blocked one minute before and at every quarter hour before it.
          const until = d.until.getTime();
          if (!referenceAllows(until, loc.regions, loc.zones) || referenceAllows(until - 60_000, loc.regions, loc.zones)) {
            expect.fail(`${new Date(t).toISOString()}: until ${d.until.toISOString()} is not the start of an allowed stretch`);
          }
          for (let u = t; u < until; u += 15 * 60_000) if (referenceAllows(u, loc.regions, loc.zones)) expect.fail(`${new Date(t).toISOString()}: allowed at ${new Date(u).toISOString()}, before until ${d.until.toISOString()}`);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(2000);
  });
});
