import { describe, expect, it } from 'vitest';
import { estimateSegments } from '../../src/planner/cost.ts';

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
