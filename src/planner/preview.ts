import { SegmentedMessage } from 'sms-segments-calculator';
import { compileTemplate, normalizeVariableName, renderMessage, renderVariant } from '../campaigns/template.ts';
import { nextRunId, previewRecipients } from '../db/sql/plan-preview.ts';
import type { Queryable } from '../db/sql/queryable.ts';

export interface RenderedBody {
  /** 0 is the main message, then the variants in order. */
  variantIndex: number;
  body: string;
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  /** The characters that force UCS-2. */
  ucs2Characters: string[];
}

export interface PhonePreview {
  phone: string;
  verdict: 'preview' | 'opted-out' | 'not-a-recipient';
  /**
   * The run id the picks are made for: the next campaign_runs id (the
   * dispatcher's pick key is `${runId}:${recipientId}`). Exact when the
   * campaign's run is the next run any campaign starts; otherwise another
   * alternative may be the one sent — all are listed.
   */
  runId: number;
  chosen?: RenderedBody;
  /** The other variants as this person would get them. */
  alternatives?: RenderedBody[];
}

function measured(variantIndex: number, body: string): RenderedBody {
  const m = new SegmentedMessage(body);
  const ucs2 = m.encodingName === 'UCS-2';
  return { variantIndex, body, encoding: ucs2 ? 'UCS-2' : 'GSM-7', segments: m.segmentsCount, ucs2Characters: ucs2 ? [...new Set<string>(m.getNonGsmCharacters())] : [] };
}

/**
 * `--preview PHONE…`: each named recipient's message rendered as the
 * dispatcher will render it for the next run id (variant and `{…|…}` picks
 * hash `${runId}:${recipientId}`, src/dispatch/enqueue.ts), with the other
 * variants, their encoding and SMS segments.
 */
export async function previewPhones(db: Queryable, campaign: { id: number; message: string; variants: string[] }, phones: string[]): Promise<PhonePreview[]> {
  const t = compileTemplate(campaign.message, campaign.variants);
  const [rows, runId] = await Promise.all([previewRecipients(db, { campaignId: campaign.id, phones }), nextRunId(db)]);
  const byPhone = new Map(rows.map((r) => [r.phone, r]));
  return phones.map((phone) => {
    const r = byPhone.get(phone);
    if (!r) return { phone, verdict: 'not-a-recipient', runId };
    if (r.opted_out) return { phone, verdict: 'opted-out', runId };
    const vars: Record<string, string> = { phone };
    for (const [k, v] of Object.entries(r.variables ?? {})) if (v !== null && v !== undefined) vars[normalizeVariableName(k)] = String(v);
    const key = `${runId}:${r.id}`;
    // The dispatcher's own render decides the variant; the others rendered with the same key.
    const { body, variantIndex } = renderMessage(t, vars, key);
    const alternatives = t.bodies.flatMap((_, i) => (i === variantIndex ? [] : [measured(i, renderVariant(t, vars, key, i))]));
    return { phone, verdict: 'preview', runId, chosen: measured(variantIndex, body), alternatives };
  });
}

/** A preview as terminal lines (formatPlan). */
export function formatPreview(p: PhonePreview): string[] {
  if (p.verdict !== 'preview') return [`    ${p.phone}: ${p.verdict}`];
  const line = (b: RenderedBody, label: string) =>
    `      ${label} #${b.variantIndex} (${b.encoding}, ${b.segments} segment${b.segments === 1 ? '' : 's'}${b.ucs2Characters.length ? `, UCS-2 forced by ${b.ucs2Characters.map((c) => JSON.stringify(c)).join(' ')}` : ''}): ${JSON.stringify(b.body)}`;
  return [`    ${p.phone}:`, line(p.chosen!, 'variant'), ...p.alternatives!.map((b) => line(b, 'alternative'))];
}
