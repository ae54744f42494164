import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { estimateCost, estimateSegments } from '../../src/planner/cost.ts';

describe('SMS segments of the rendered bodies', () => {
  it('counts GSM-7 and UCS-2 per body, names the characters that force UCS-2', () => {
    const e = estimateSegments({ message: 'Hi {{first_name|there}}, reply STOP to opt out', variants: [] }, [
      { id: '1', phone: '+13125550001', variables: { first_name: 'Ana' } },
      { id: '2', phone: '+13125550002', variables: { first_name: 'Zoë ✓' } },
      { id: '3', phone: '+13125550003', variables: { first_name: 'x'.repeat(200) } },
    ]);
    expect(e).toMatchObject({ sampled: 3, gsm7: 2, ucs2: 1, maxSegments: 2 });
    // ë is not in GSM-7's table but ✓ is not either: both listed.
    expect(e.ucs2Characters.map((c) => c.char).sort()).toEqual(['✓', 'ë'].sort());
    expect(e.segmentsPerRecipient).toBeCloseTo((1 + 1 + 2) / 3);
  });
});

describe('cost from the deployment price table', () => {
  const segments = estimateSegments({ message: 'Héllo ✓ {{first_name|there}}. Reply STOP to opt out', variants: [] }, [
    { id: '1', phone: '+13125550001', variables: { first_name: 'Ana' } },
  ]);
  const prices = { currency: 'USD', imessage: 0.001, smsSegment: 0.01, mms: 0.03 };

  it('prices iMessage and SMS recipients, unknown ones as a range, SMS by the rendered segments', () => {
    expect(segments.ucs2).toBe(1);
    const c = estimateCost({ segments, split: { imessage: 100, sms: 10, unknown: 50 }, prices, smsFallback: true, attachments: 0 });
    expect(c.imessage).toEqual({ recipients: 100, cost: 0.1 });
    expect(c.sms).toEqual({ recipients: 10, segments: 10 * segments.segmentsPerRecipient, cost: 10 * segments.segmentsPerRecipient * 0.01, perMessage: 'segment' });
    expect(c.unknown).toEqual({ recipients: 50, min: 0.05, max: 50 * segments.segmentsPerRecipient * 0.01 });
    expect(c.total.min).toBeCloseTo(0.1 + c.sms.cost + 0.05);
    expect(c.total.max).toBeCloseTo(0.1 + c.sms.cost + c.unknown.max);
  });

  it('attachments make the fallback an MMS; no fallback: SMS recipients are not sent and cost nothing', () => {
    expect(estimateCost({ segments, split: { imessage: 0, sms: 10, unknown: 0 }, prices, smsFallback: true, attachments: 1 }).sms).toMatchObject({ cost: 0.3, perMessage: 'mms' });
    expect(estimateCost({ segments, split: { imessage: 0, sms: 10, unknown: 10 }, prices, smsFallback: false, attachments: 0 }).total).toEqual({ min: 0.01, max: 0.01 });
  });

  it('BLUECAST_PRICES is validated: bad JSON and bad fields are named', () => {
    expect(loadConfig({ BLUECAST_PRICES: '{"currency":"USD","imessage":0,"smsSegment":0.0083}' }).BLUECAST_PRICES).toEqual({ currency: 'USD', imessage: 0, smsSegment: 0.0083 });
    expect(() => loadConfig({ BLUECAST_PRICES: 'cheap' })).toThrow(/BLUECAST_PRICES.*must be JSON/s);
    expect(() => loadConfig({ BLUECAST_PRICES: '{"currency":"dollars","imessage":-1,"smsSegment":0}' })).toThrow(/BLUECAST_PRICES[\s\S]*ISO 4217/);
  });
});
