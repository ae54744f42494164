import { SegmentedMessage } from 'sms-segments-calculator';
import { compileTemplate, renderMessage } from '../campaigns/template.ts';
import type { PriceTable } from '../config.ts';

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
 * the real pick also depends on the run id, unknown before launch (the
 * per-recipient preview, preview.ts, uses the next run id instead).
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

/** Recipients by the channel a send would take (availability.ts); unknown: not checked, or no fresh answer. */
export interface ChannelSplit {
  imessage: number;
  sms: number;
  unknown: number;
}

export interface CostEstimate {
  currency: string;
  /** Per channel: recipients and what they cost. SMS counts only with an SMS fallback set on the campaign. */
  imessage: { recipients: number; cost: number };
  sms: { recipients: number; segments: number; cost: number; perMessage: 'segment' | 'mms' };
  /** Unchecked recipients cost between all-iMessage (min) and all-SMS (max). */
  unknown: { recipients: number; min: number; max: number };
  total: { min: number; max: number };
}

const cents = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * The total from the deployment's price table (BLUECAST_PRICES): iMessage
 * recipients at the iMessage price; SMS ones at the segments their rendered
 * body takes (the sample's mean), or the MMS price when the campaign has
 * attachments; SMS recipients cost nothing when the campaign has no SMS
 * fallback (they are not sent). Unknown ones as a range.
 */
export function estimateCost(
  p: { segments: SegmentEstimate; split: ChannelSplit; prices: PriceTable; smsFallback: boolean; attachments: number },
): CostEstimate {
  const { prices, split } = p;
  const mms = p.attachments > 0 && prices.mms !== undefined;
  const smsEach = !p.smsFallback ? 0 : mms ? prices.mms! : p.segments.segmentsPerRecipient * prices.smsSegment;
  const im = split.imessage * prices.imessage;
  const sms = split.sms * smsEach;
  const uMin = split.unknown * Math.min(prices.imessage, p.smsFallback ? smsEach : prices.imessage);
  const uMax = split.unknown * Math.max(prices.imessage, smsEach);
  return {
    currency: prices.currency,
    imessage: { recipients: split.imessage, cost: cents(im) },
    sms: { recipients: split.sms, segments: Math.round(split.sms * p.segments.segmentsPerRecipient), cost: cents(sms), perMessage: mms ? 'mms' : 'segment' },
    unknown: { recipients: split.unknown, min: cents(uMin), max: cents(uMax) },
    total: { min: cents(im + sms + uMin), max: cents(im + sms + uMax) },
  };
}
