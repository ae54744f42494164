import { describe, expect, it } from 'vitest';
import { SendRules, type CampaignRules, type Decision, type RecentSend } from '../../src/compliance/engine.ts';
import { locate, type RecipientPlace } from '../../src/compliance/location.ts';
import { loadRulesTable, mergeRules, parseRulesTable, shippedRulesData } from '../../src/compliance/table.ts';

const table = loadRulesTable();
const rules = new SendRules(table);

const marketing: CampaignRules = { window: null, transactional: false, zone: 'America/New_York', onCap: 'wait' };
const at = (iso: string) => new Date(iso);

function decide(place: RecipientPlace | string, now: string, opts: { campaign?: Partial<CampaignRules>; recent?: RecentSend[]; sendBy?: string } = {}): Decision {
  const p = typeof place === 'string' ? { phone: place } : place;
  return rules.check(locate(p), { ...marketing, ...opts.campaign }, at(now), opts.recent ?? [], opts.sendBy ? at(opts.sendBy) : null);
}

const untilOf = (d: Decision) => (d.verdict === 'wait' ? d.until.toISOString() : d.verdict);
const rulesOf = (d: Decision) => (d.verdict === 'send' ? [] : d.reasons.map((r) => r.rule).sort());

// Numbers by area code: 305 Miami FL (Eastern), 850 Pensacola/Tallahassee FL
// (Central and Eastern), 214 Dallas TX, 205 Birmingham AL, 504 New Orleans LA,
// 601 Jackson MS, 203 CT, 206 Seattle WA, 405 OK, 410 MD, 401 RI, 212 NYC.
const FL = '+13055550100';
const FL_PANHANDLE = '+18505550100';
const TX = '+12145550100';
const AL = '+12055550100';
const LA = '+15045550100';
const MS = '+16015550100';
const CT = '+12035550100';
const WA = '+12065550100';
const OK = '+14055550100';
const MD = '+14105550100';
const RI = '+14015550100';
const NY = '+12125550100';
const KY_SPLIT = '+12705550100';

describe('legal hours per jurisdiction, across DST changes, Sundays and holidays', () => {
  // 2026: DST starts Sun 8 March (02:00 → 03:00), ends Sun 1 November (02:00 → 01:00).
  it.each([
    // Florida 08:00-20:00, America/New_York
    ['FL: 07:59 EST the day before spring forward waits for 08:00 EST', FL, '2026-03-07T12:59:00Z', '2026-03-07T13:00:00.000Z', ['US-FL.hours', 'US.hours']],
    ['FL: 08:30 EDT on the spring-forward Sunday goes', FL, '2026-03-08T12:30:00Z', 'send', []],
    ['FL: 07:59 EDT on the spring-forward Sunday waits for 08:00 EDT (12:00Z, not 13:00Z)', FL, '2026-03-08T11:59:00Z', '2026-03-08T12:00:00.000Z', ['US-FL.hours', 'US.hours']],
    ['FL: 19:59 EDT goes', FL, '2026-03-08T23:59:00Z', 'send', []],
    ['FL: 20:00 EDT waits for 08:00 EDT next day (state 20:00, not federal 21:00)', FL, '2026-03-09T00:00:00Z', '2026-03-09T12:00:00.000Z', ['US-FL.hours']],
    ['FL: 08:30 EDT the day before fall back goes', FL, '2026-10-31T12:30:00Z', 'send', []],
    ['FL: 07:30 EST on the fall-back Sunday waits for 08:00 EST (13:00Z)', FL, '2026-11-01T12:30:00Z', '2026-11-01T13:00:00.000Z', ['US-FL.hours', 'US.hours']],
    ['FL: 19:30 EST on the fall-back Sunday goes, 20:00 EST does not', FL, '2026-11-02T00:30:00Z', 'send', []],
    ['FL: 20:00 EST on the fall-back Sunday waits', FL, '2026-11-02T01:00:00Z', '2026-11-02T13:00:00.000Z', ['US-FL.hours']],
    // Texas Mon-Sat 09:00-21:00, Sunday 12:00-21:00, America/Chicago
    ['TX: 08:59 CST Saturday waits for 09:00', TX, '2026-03-07T14:59:00Z', '2026-03-07T15:00:00.000Z', ['US-TX.hours']],
    ['TX: 11:59 CDT on the spring-forward Sunday waits for noon CDT (17:00Z)', TX, '2026-03-08T16:59:00Z', '2026-03-08T17:00:00.000Z', ['US-TX.hours']],
    ['TX: noon CDT on the spring-forward Sunday goes', TX, '2026-03-08T17:00:00Z', 'send', []],
    ['TX: 11:30 CST on the fall-back Sunday waits for noon CST (18:00Z)', TX, '2026-11-01T17:30:00Z', '2026-11-01T18:00:00.000Z', ['US-TX.hours']],
    ['TX: 20:59 CST Sunday goes', TX, '2026-11-02T02:59:00Z', 'send', []],
    ['TX: 21:00 CST Sunday waits for Monday 09:00 CST', TX, '2026-11-02T03:00:00Z', '2026-11-02T15:00:00.000Z', ['US-TX.hours', 'US.hours']],
    // Alabama 08:00-20:00, none on Sundays or state holidays
    ['AL: Thanksgiving waits for Friday 08:00 CST', AL, '2026-11-26T15:00:00Z', '2026-11-27T14:00:00.000Z', ['US-AL.holidays']],
    ['AL: 4 July 2026 is a Saturday: Friday 3 July (observed) through Sunday wait for Monday 08:00 CDT', AL, '2026-07-03T15:00:00Z', '2026-07-06T13:00:00.000Z', ['US-AL.holidays']],
    ['AL: Sunday waits for Monday 08:00 CST', AL, '2026-12-06T18:00:00Z', '2026-12-07T14:00:00.000Z', ['US-AL.hours']],
    ['AL: Christmas 2026 (Friday) waits for Saturday 08:00 CST', AL, '2026-12-25T16:00:00Z', '2026-12-26T14:00:00.000Z', ['US-AL.holidays']],
    ['AL: a plain Tuesday 10:00 CST goes', AL, '2026-12-01T16:00:00Z', 'send', []],
    // Louisiana Mon-Sat 08:00-20:00, none on Sundays or state holidays
    ['LA: Mardi Gras (a Louisiana holiday) waits for Wednesday 08:00 CST', LA, '2026-02-17T16:00:00Z', '2026-02-18T14:00:00.000Z', ['US-LA.holidays']],
    ['LA: Independence Day Saturday waits past Sunday to Monday 08:00 CDT', LA, '2026-07-04T15:00:00Z', '2026-07-06T13:00:00.000Z', ['US-LA.holidays']],
    ['LA: Thanksgiving waits', LA, '2026-11-26T15:00:00Z', '2026-11-27T14:00:00.000Z', ['US-LA.holidays']],
    ['LA: Sunday waits', LA, '2026-12-06T18:00:00Z', '2026-12-07T14:00:00.000Z', ['US-LA.hours']],
    // Mississippi: none on Sundays; its holiday ban was repealed
    ['MS: Sunday waits for Monday 08:00 CST (federal hours)', MS, '2026-12-06T18:00:00Z', '2026-12-07T14:00:00.000Z', ['US-MS.sunday']],
    ['MS: Thanksgiving goes', MS, '2026-11-26T15:00:00Z', 'send', []],
    // Connecticut 09:00-20:00, Washington 08:00-20:00, Oklahoma / Maryland 08:00-20:00
    ['CT: 08:30 EST waits for 09:00', CT, '2026-12-01T13:30:00Z', '2026-12-01T14:00:00.000Z', ['US-CT.hours']],
    ['CT: 19:59 EST goes', CT, '2026-12-02T00:59:00Z', 'send', []],
    ['WA: 19:30 PST goes', WA, '2026-12-02T03:30:00Z', 'send', []],
    ['WA: 20:00 PST waits for 08:00 PST', WA, '2026-12-02T04:00:00Z', '2026-12-02T16:00:00.000Z', ['US-WA.hours']],
    ['OK: 20:00 CST waits', OK, '2026-12-02T02:00:00Z', '2026-12-02T14:00:00.000Z', ['US-OK.hours']],
    ['MD: 20:30 EST waits', MD, '2026-12-02T01:30:00Z', '2026-12-02T13:00:00.000Z', ['US-MD.hours']],
    // Rhode Island: 09:00-18:00 weekdays, 10:00-17:00 Saturdays, none Sundays / holidays
    ['RI: 09:30 EST Saturday waits for 10:00', RI, '2026-12-05T14:30:00Z', '2026-12-05T15:00:00.000Z', ['US-RI.hours']],
    ['RI: 17:30 EST Saturday waits past Sunday to Monday 09:00', RI, '2026-12-05T22:30:00Z', '2026-12-07T14:00:00.000Z', ['US-RI.hours']],
    // New York: federal 08:00-21:00 only
    ['NY: 20:30 EST goes (no stricter state rule)', NY, '2026-12-02T01:30:00Z', 'send', []],
    ['NY: 21:00 EST waits for 08:00', NY, '2026-12-02T02:00:00Z', '2026-12-02T13:00:00.000Z', ['US.hours']],
  ])('%s', (_name, phone, now, until, why) => {
    const d = decide(phone, now);
    expect(untilOf(d)).toBe(until);
    expect(rulesOf(d)).toEqual(why);
  });

  it('a holiday reason names the holiday, the jurisdiction and when that rule alone stops blocking', () => {
    const d = decide(AL, '2026-11-26T15:00:00Z');
    expect(d.verdict).toBe('wait');
    if (d.verdict !== 'wait') return;
    expect(d.reasons).toEqual([
      { rule: 'US-AL.holidays', jurisdiction: 'US-AL', kind: 'holiday', zone: 'America/Chicago', holiday: 'Thanksgiving Day', until: at('2026-11-27T06:00:00Z') },
    ]);
  });
});

describe('area codes spanning several zones: allowed only when allowed in all', () => {
  it('850 (Florida panhandle) is in both Central and Eastern time', () => {
    expect(locate({ phone: FL_PANHANDLE })).toMatchObject({ regions: ['US-FL'], zones: ['America/Chicago', 'America/New_York'] });
  });

  it.each([
    ['08:30 EST / 07:30 CST: waits for 08:00 CST', FL_PANHANDLE, '2026-12-01T13:30:00Z', '2026-12-01T14:00:00.000Z'],
    ['08:00 CST / 09:00 EST goes', FL_PANHANDLE, '2026-12-01T14:00:00Z', 'send'],
    ['19:30 CST / 20:30 EST: Florida hours are over in Eastern time', FL_PANHANDLE, '2026-12-02T01:30:00Z', '2026-12-02T14:00:00.000Z'],
    ['270 (Kentucky, federal only): 20:30 CST / 21:30 EST waits', KY_SPLIT, '2026-12-02T02:30:00Z', '2026-12-02T14:00:00.000Z'],
    ['270: 20:30 EST / 19:30 CST goes', KY_SPLIT, '2026-12-02T01:30:00Z', 'send'],
  ])('%s', (_name, phone, now, until) => {
    expect(untilOf(decide(phone, now))).toBe(until);
  });

  it('the reason names the zone that blocks', () => {
    const d = decide(FL_PANHANDLE, '2026-12-02T01:30:00Z');
    expect(d.verdict === 'wait' && d.reasons.map((r) => ('zone' in r ? r.zone : ''))).toEqual(['America/New_York']);
  });
});

describe('frequency caps across campaigns', () => {
  // Three marketing messages from two campaigns on Tuesday 1 December 2026.
  const threeSent: RecentSend[] = [{ at: at('2026-12-01T14:00:00Z') }, { at: at('2026-12-01T15:00:00Z') }, { at: at('2026-12-01T16:00:00Z') }];

  it('Florida: a fourth message within 24 h waits until the oldest leaves the window, then for legal hours', () => {
    // Oldest + 24 h = 2 December 14:00Z = 09:00 EST, inside Florida's hours.
    const d = decide(FL, '2026-12-01T18:00:00Z', { recent: threeSent });
    expect(untilOf(d)).toBe('2026-12-02T14:00:00.000Z');
    expect(d.verdict === 'wait' && d.reasons).toEqual([{ rule: 'US-FL.cap', jurisdiction: 'US-FL', kind: 'cap', max: 3, windowHours: 24, count: 3, until: at('2026-12-02T14:00:00Z') }]);
  });

  it('a cap that frees at night waits on for the morning', () => {
    const night: RecentSend[] = [{ at: at('2026-12-01T22:00:00Z') }, { at: at('2026-12-01T23:00:00Z') }, { at: at('2026-12-02T00:00:00Z') }];
    // Frees at 2 December 22:00Z = 17:00 EST: inside hours.
    expect(untilOf(decide(FL, '2026-12-02T13:30:00Z', { recent: night }))).toBe('2026-12-02T22:00:00.000Z');
    const late: RecentSend[] = [{ at: at('2026-12-02T00:30:00Z') }, { at: at('2026-12-02T00:40:00Z') }, { at: at('2026-12-02T00:50:00Z') }];
    // Frees at 3 December 00:30Z = 19:30 EST on the 2nd, still inside Florida's hours.
    expect(untilOf(decide(FL, '2026-12-02T14:00:00Z', { recent: late }))).toBe('2026-12-03T00:30:00.000Z');
  });

  it.each([
    ['two sends: a third goes', FL, threeSent.slice(1), 'send'],
    ['Oklahoma has the same cap', OK, threeSent, '2026-12-02T14:00:00.000Z'],
    ['Maryland has the same cap', MD, threeSent, '2026-12-02T14:00:00.000Z'],
    ['New York has no cap', NY, threeSent, 'send'],
    ['transactional sends do not count towards the marketing cap', FL, threeSent.map((s) => ({ ...s, transactional: true })), 'send'],
    ['sends older than 24 h do not count', FL, [{ at: at('2026-11-30T17:59:00Z') }, ...threeSent.slice(1)], 'send'],
  ])('%s', (_name, phone, recent, until) => {
    expect(untilOf(decide(phone, '2026-12-01T18:00:00Z', { recent }))).toBe(until);
  });

  it('a campaign that skips capped messages skips instead of waiting', () => {
    const d = decide(FL, '2026-12-01T18:00:00Z', { recent: threeSent, campaign: { onCap: 'skip' } });
    expect(d.verdict).toBe('skip');
    expect(rulesOf(d)).toEqual(['US-FL.cap']);
  });

  it('per-campaign "skip people messaged in the last X hours" counts every campaign, transactional ones too', () => {
    const recent = [{ at: at('2026-12-01T15:00:00Z'), transactional: true }];
    const waits = decide(NY, '2026-12-01T18:00:00Z', { recent, campaign: { recentContactHours: 48 } });
    expect(untilOf(waits)).toBe('2026-12-03T15:00:00.000Z');
    expect(rulesOf(waits)).toEqual(['campaign.recent-contact']);
    expect(decide(NY, '2026-12-01T18:00:00Z', { recent, campaign: { recentContactHours: 48, onCap: 'skip' } }).verdict).toBe('skip');
    expect(decide(NY, '2026-12-01T18:00:00Z', { recent, campaign: { recentContactHours: 2 } }).verdict).toBe('send');
  });

  it('deployment-wide caps from the override: at most 4 per 7 days', () => {
    const withWeekly = new SendRules(mergeRules(shippedRulesData(), { deployment: { caps: [{ id: 'deployment.weekly', kind: 'cap', max: 4, windowHours: 168 }] } }, 'override.json'));
    const recent = ['2026-11-25T15:00:00Z', '2026-11-27T15:00:00Z', '2026-11-29T15:00:00Z', '2026-11-30T15:00:00Z'].map((s) => ({ at: at(s) }));
    const d = withWeekly.check(locate({ phone: NY }), marketing, at('2026-12-01T18:00:00Z'), recent);
    expect(untilOf(d)).toBe('2026-12-02T15:00:00.000Z');
    expect(d.verdict === 'wait' && d.reasons[0]).toMatchObject({ rule: 'deployment.weekly', jurisdiction: 'deployment', count: 4 });
    // Marketing-only by default: a transactional campaign is not capped by it.
    expect(withWeekly.check(locate({ phone: NY }), { ...marketing, transactional: true }, at('2026-12-01T18:00:00Z'), recent).verdict).toBe('send');
  });
});

describe('send-by deadline', () => {
  it('at or after the deadline: expired, never sent late', () => {
    const d = decide(NY, '2026-12-01T18:00:00Z', { sendBy: '2026-12-01T18:00:00Z' });
    expect(d.verdict).toBe('expired');
    expect(rulesOf(d)).toEqual(['campaign.send-by']);
  });

  it('not allowed again before the deadline: expired now, with the rule that blocks', () => {
    // 21:30 EST; the next opening 08:00 EST is after a deadline of 07:00 EST.
    const d = decide(FL, '2026-12-02T02:30:00Z', { sendBy: '2026-12-02T12:00:00Z' });
    expect(d.verdict).toBe('expired');
    expect(rulesOf(d)).toEqual(['US-FL.hours', 'US.hours', 'campaign.send-by'].sort());
  });

  it('allowed again before the deadline: waits', () => {
    expect(untilOf(decide(FL, '2026-12-02T02:30:00Z', { sendBy: '2026-12-02T13:00:01Z' }))).toBe('2026-12-02T13:00:00.000Z');
  });

  it('before the deadline and allowed: goes', () => {
    expect(decide(FL, '2026-12-01T18:00:00Z', { sendBy: '2026-12-01T18:00:01Z' }).verdict).toBe('send');
  });
});

describe("the campaign's window is intersected with the legal one, never widening it", () => {
  it.each([
    ['a wider campaign window (07:00-22:00) still stops at Florida 20:00', { startMinute: 7 * 60, endMinute: 22 * 60 }, '2026-12-02T01:30:00Z', '2026-12-02T13:00:00.000Z', ['US-FL.hours']],
    ['a wider campaign window still starts at Florida 08:00', { startMinute: 7 * 60, endMinute: 22 * 60 }, '2026-12-01T12:30:00Z', '2026-12-01T13:00:00.000Z', ['US-FL.hours', 'US.hours']],
    ['a narrower window (10:00-12:00) waits for 10:00 though the law allows 09:00', { startMinute: 600, endMinute: 720 }, '2026-12-01T14:00:00Z', '2026-12-01T15:00:00.000Z', ['campaign.window']],
    ['a narrower window closes at 12:00: next day 10:00', { startMinute: 600, endMinute: 720 }, '2026-12-01T17:00:00Z', '2026-12-02T15:00:00.000Z', ['campaign.window']],
    ['a night window (22:00-06:00) never meets Florida hours: skipped, with the rules', { startMinute: 22 * 60, endMinute: 6 * 60 }, '2026-12-01T18:00:00Z', 'skip', ['campaign.window', 'no-allowed-time']],
  ])('%s', (_name, window, now, until, why) => {
    const d = decide(FL, now, { campaign: { window } });
    expect(untilOf(d)).toBe(until);
    expect(rulesOf(d)).toEqual(why);
  });

  it('no campaign window: only the legal window', () => {
    expect(decide(FL, '2026-12-01T13:00:00Z', { campaign: { window: { startMinute: null, endMinute: null } } }).verdict).toBe('send');
  });
});

describe('transactional campaigns use only the federal hours', () => {
  const tx = { campaign: { transactional: true } };
  it.each([
    ['Florida 20:30 EST goes (federal 21:00)', FL, '2026-12-02T01:30:00Z', 'send'],
    ['Florida 21:30 EST waits for federal 08:00', FL, '2026-12-02T02:30:00Z', '2026-12-02T13:00:00.000Z'],
    ['Alabama Thanksgiving goes', AL, '2026-11-26T15:00:00Z', 'send'],
    ['Texas Sunday 09:00 CST goes', TX, '2026-12-06T15:00:00Z', 'send'],
    ['Connecticut 08:30 EST goes', CT, '2026-12-01T13:30:00Z', 'send'],
  ])('%s', (_name, phone, now, until) => {
    expect(untilOf(decide(phone, now, tx))).toBe(until);
  });

  it('state caps do not apply to transactional messages', () => {
    const recent = [1, 2, 3].map((h) => ({ at: at(`2026-12-01T1${h}:00:00Z`) }));
    expect(decide(FL, '2026-12-01T18:00:00Z', { ...tx, recent }).verdict).toBe('send');
  });
});

describe('policies are compiled once per kind of recipient', () => {
  it('the same location and campaign settings share one policy; another zone gets its own', () => {
    const a = rules.policy(locate({ phone: FL }), marketing);
    const b = rules.policy(locate({ phone: '+13055559999' }), marketing);
    const c = rules.policy(locate({ phone: FL_PANHANDLE }), marketing);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('nextAllowed answers a planner: the first legal instant for a recipient kind', () => {
    const p = rules.policy(locate({ phone: AL }), marketing);
    expect(new Date(rules.nextAllowed(p, at('2026-12-24T03:00:00Z').getTime())!).toISOString()).toBe('2026-12-24T14:00:00.000Z');
    // Christmas Friday, then Saturday; from Saturday evening, past Sunday to Monday.
    expect(new Date(rules.nextAllowed(p, at('2026-12-25T03:00:00Z').getTime())!).toISOString()).toBe('2026-12-26T14:00:00.000Z');
    expect(new Date(rules.nextAllowed(p, at('2026-12-27T02:00:00Z').getTime())!).toISOString()).toBe('2026-12-28T14:00:00.000Z');
  });
});

describe('a recipient with no known region', () => {
  it('a Canadian number gets the fallback (federal) hours in its own zone', () => {
    const toronto = '+14165550100';
    expect(locate({ phone: toronto })).toMatchObject({ regions: [], zones: ['America/Toronto'] });
    expect(untilOf(decide(toronto, '2026-12-02T02:30:00Z'))).toBe('2026-12-02T13:00:00.000Z');
  });

  it("a number outside the NANP falls back to the campaign's zone", () => {
    expect(locate({ phone: '+447700900123' })).toEqual({ regions: [], zones: [], from: [] });
    expect(untilOf(decide('+447700900123', '2026-12-02T02:30:00Z', { campaign: { zone: 'America/Los_Angeles' } }))).toBe('send');
    expect(untilOf(decide('+447700900123', '2026-12-02T06:00:00Z', { campaign: { zone: 'America/Los_Angeles' } }))).toBe('2026-12-02T16:00:00.000Z');
  });
});

describe('a table with no jurisdiction for a region', () => {
  it('an override removing Florida leaves the federal hours', () => {
    const noFl = new SendRules(mergeRules(shippedRulesData(), { jurisdictions: { 'US-FL': null } }, 'override.json'));
    expect(noFl.check(locate({ phone: FL }), marketing, at('2026-12-02T01:30:00Z')).verdict).toBe('send');
  });

  it('parseRulesTable accepts the shipped data', () => {
    expect(parseRulesTable(shippedRulesData(), 'copy')).toEqual(table);
  });
});
