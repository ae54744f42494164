import { SegmentedMessage } from 'sms-segments-calculator';
import { compileTemplate, renderMessage } from '../campaigns/template.ts';

export interface SegmentEstimate {
  /** Bodies rendered and counted (all recipients up to the sample size, else an even sample). */
  sampled: number;
  gsm7: number;
  ucs2: number;
  /** Mean SMS segments per recipient if sent as SMS, over the sample. */
  segmentsPerRecipient: number;
  maxSegments: number;
  /** The characters that force UCS-2, with how many sampled bodies have each. */
  ucs2Characters: { char: string; bodies: number }[];
}

/**
 * SMS segments of the rendered bodies (Twilio's sms-segments-calculator: GSM-7
 * with its extension table, else UCS-2; 160/153 or 70/67 per segment). The
 * variant and alternatives are chosen with the pick key `plan:<recipient id>`:
 * the real pick also depends on the run id, unknown before launch.
 */
export function estimateSegments(campaign: { message: string; variants: string[] }, rows: { id: string; phone: string; variables: Record<string, unknown> }[]): SegmentEstimate {
  const t = compileTemplate(campaign.message, campaign.variants);
  let gsm7 = 0;
  let ucs2 = 0;
  let segments = 0;
  let maxSegments = 0;
  const chars = new Map<string, number>();
  for (const r of rows) {
    const vars: Record<string, string> = { phone: r.phone };
    for (const [k, v] of Object.entries(r.variables)) vars[k] = v == null ? '' : String(v);
    const { body } = renderMessage(t, vars, `plan:${r.id}`);
    const m = new SegmentedMessage(body);
    if (m.encodingName === 'UCS-2') {
      ucs2++;
      for (const c of new Set(m.getNonGsmCharacters())) chars.set(c, (chars.get(c) ?? 0) + 1);
    } else gsm7++;
    segments += m.segmentsCount;
    maxSegments = Math.max(maxSegments, m.segmentsCount);
  }
  return {
    sampled: rows.length,
    gsm7,
    ucs2,
    segmentsPerRecipient: rows.length === 0 ? 0 : segments / rows.length,
    maxSegments,
    ucs2Characters: [...chars].sort((a, b) => b[1] - a[1]).map(([char, bodies]) => ({ char, bodies })),
  };
}
