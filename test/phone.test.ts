import { describe, expect, it } from 'vitest';
import { isValidE164, normalizePhone } from '../src/lib/phone.ts';

describe('phone numbers', () => {
  it.each([
    ['(415) 555-2671', 'US', '+14155552671'],
    ['415.555.2671', 'US', '+14155552671'],
    ['+1 415 555 2671', 'GB', '+14155552671'],
    ['020 7946 0958', 'GB', '+442079460958'],
    ['+44 7911 123456', 'US', '+447911123456'],
  ])('normalises %s (region %s) to %s', (input, region, e164) => {
    expect(normalizePhone(input, region)).toEqual({ ok: true, e164 });
  });

  it.each([
    ['', /empty/],
    ['hello', /not a phone number/],
    ['555-0100', /not a valid phone number/],
    ['+1 415 555 267', /not a valid phone number/],
  ])('rejects %j with a reason', (input, reason) => {
    const r = normalizePhone(input, 'US');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('checks E.164 strictly', () => {
    expect(isValidE164('+14155552671')).toBe(true);
    expect(isValidE164('14155552671')).toBe(false);
    expect(isValidE164('+1 415 555 2671')).toBe(false);
    expect(isValidE164('+15555555555')).toBe(false);
  });
});
