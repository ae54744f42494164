import { describe, expect, it } from 'vitest';
import { windowOnlyRules, windowOpening } from '../../src/compliance/window-only.ts';
import { locate } from '../../src/compliance/location.ts';

// The campaign's own window by the one rules engine (used with the legal
// windows off, and for the enqueue's first attempt): a number whose area code
// spans zones is inside the window only when it is inside it in every zone.
describe('the campaign window alone, by the rules engine', () => {
  const window = { startMinute: 9 * 60, endMinute: 17 * 60 };
  it.each([
    // 850: Central and Eastern. 13:30Z (Wed 11 March 2026) is 09:30 EDT but 08:30 CDT: opens at 09:00 CDT.
    ['+18502000001', null, '2026-03-11T13:30:00Z', '2026-03-11T14:00:00Z'],
    // The person's own zone wins over the area code's.
    ['+18502000001', 'America/New_York', '2026-03-11T13:30:00Z', '2026-03-11T13:30:00Z'],
    // 305 (Eastern only) at 21:30 EDT: next morning 09:00 EDT.
    ['+13052000001', null, '2026-03-11T01:30:00Z', '2026-03-11T13:00:00Z'],
    // Across the spring DST change: 09:00 EDT on Sunday 8 March 2026 is 13:00Z.
    ['+13052000001', null, '2026-03-08T06:00:00Z', '2026-03-08T13:00:00Z'],
  ])('%s (zone %s) at %s opens at %s', (phone, timezone, at, opens) => {
    expect(windowOpening({ phone, timezone }, { window, zone: 'America/New_York' }, new Date(at)).toISOString()).toBe(new Date(opens).toISOString());
  });

  it('no law in the window-only table: a Florida number at 20:30 EDT is inside a 09:00–21:00 window', () => {
    const rules = windowOnlyRules();
    const p = rules.policy(locate({ phone: '+13052000001' }), { window: { startMinute: 540, endMinute: 1260 }, zone: 'America/New_York', transactional: false, onCap: 'wait' });
    expect(rules.evaluate(p, new Date('2026-03-12T00:30:00Z'))).toEqual({ verdict: 'send' });
    expect(p.caps).toEqual([]);
  });

  it('no window: at once', () => {
    const now = new Date('2026-03-11T03:00:00Z');
    expect(windowOpening({ phone: '+13052000001' }, { window: { startMinute: null, endMinute: null }, zone: 'America/New_York' }, now)).toBe(now);
  });
});
