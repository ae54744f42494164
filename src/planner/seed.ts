import { compileTemplate, normalizeVariableName, renderMessage } from '../campaigns/template.ts';
import { firstRecipients, insertSeedSend, nextRunId, optedOutPhones, previewRecipients } from '../db/sql/plan-preview.ts';
import type { Queryable } from '../db/sql/queryable.ts';
import type { ImessageClient } from '../provider/client.ts';
import { classifyFailure } from '../provider/classify.ts';

export interface SeedResult {
  seed: string;
  /** The recipient whose row was rendered. */
  recipient: string;
  body?: string;
  variantIndex?: number;
  status: 'sent' | 'failed' | 'opted-out';
  messageId?: string;
  error?: string;
}

/**
 * `--seed +1…`: a test send. Real rows (the first `rows` recipients, or the
 * named ones) rendered as the dispatcher will for the next run (the preview's
 * rule) and sent to each seed phone through the provider client, one by one.
 * A seed phone that opted out gets nothing. Recorded in seed_sends, outside
 * the campaign's messages, so no report number moves; the delivery
 * reconciler and the webhook handler follow its delivery there
 * (db/sql/seed-delivery.ts), and the plan lists it (seedSends).
 */
export async function seedSend(
  db: Queryable,
  client: Pick<ImessageClient, 'send'>,
  campaign: { id: number; message: string; variants: string[]; attachments: string[]; senderLines: string[]; fallbackWhen?: string[]; fallbackFrom?: string | null },
  p: { seeds: string[]; rows?: number; recipients?: string[] },
): Promise<SeedResult[]> {
  const t = compileTemplate(campaign.message, campaign.variants);
  const [rows, runId, optedOut] = await Promise.all([
    p.recipients?.length ? previewRecipients(db, { campaignId: campaign.id, phones: p.recipients }) : firstRecipients(db, { campaignId: campaign.id, limit: p.rows ?? 1 }),
    nextRunId(db),
    optedOutPhones(db, p.seeds),
  ]);
  const from = campaign.senderLines[0];
  const out: SeedResult[] = [];
  for (const seed of p.seeds) {
    for (const r of rows) {
      if (optedOut.has(seed)) {
        out.push({ seed, recipient: r.phone, status: 'opted-out' });
        continue;
      }
      const vars: Record<string, string> = { phone: r.phone };
      for (const [k, v] of Object.entries(r.variables ?? {})) if (v !== null && v !== undefined) vars[normalizeVariableName(k)] = String(v);
      const { body, variantIndex } = renderMessage(t, vars, `${runId}:${r.id}`);
      let messageId: string | null = null;
      let error: string | null = null;
      try {
        // With the campaign's SMS fallback, so a seed phone without iMessage gets what such a recipient would.
        const fallback = campaign.fallbackWhen?.length ? { fallback: { when: campaign.fallbackWhen as ('imessage_unsupported' | 'imessage_fails')[], ...(campaign.fallbackFrom ? { from: campaign.fallbackFrom } : {}) } } : {};
        messageId = (await client.send({ to: seed, ...(from ? { from } : {}), message: body, ...(campaign.attachments.length ? { attachments: campaign.attachments } : {}), ...fallback })).message_id;
      } catch (err) {
        error = classifyFailure(err).message;
      }
      await insertSeedSend(db, { campaignId: campaign.id, recipientId: r.id, toPhone: seed, fromLine: from ?? null, body, variantIndex, providerMessageId: messageId, error });
      out.push({ seed, recipient: r.phone, body, variantIndex, status: error ? 'failed' : 'sent', ...(messageId ? { messageId } : {}), ...(error ? { error } : {}) });
    }
  }
  return out;
}
