import type { Logger } from '../lib/logger.ts';
import { windowOpening } from '../compliance/window-only.ts';
import type { DispatchStore, NewMessage } from './store.ts';

/** Renders one campaign's bodies; wired to src/campaigns/template.ts by the composition. */
export type RenderFactory = (
  message: string,
  variants: string[],
) => (vars: Record<string, string>, pickKey: string) => { body: string; variantIndex: number };

export interface StartedRunSummary {
  runId: number;
  campaignId: number;
  enqueued: number;
  skipped: number;
  failed: number;
}

const CHUNK = 2_000;

function stringVars(v: Record<string, unknown>, phone: string): Record<string, string> {
  const out: Record<string, string> = { phone };
  for (const [k, val] of Object.entries(v ?? {})) if (val !== null && val !== undefined) out[k] = String(val);
  return out;
}

/**
 * Start the next due run, if any: freeze its audience into one message per
 * recipient, bodies rendered (pickKey `${runId}:${recipientId}`, so a re-render
 * is stable), opted-out recipients recorded `skipped`, and each message's first
 * attempt set to the opening of the recipient's send window. All of it in one
 * transaction with the run's pending → running change: a crash mid-way leaves
 * the run pending for the next worker, never half-enqueued.
 */
export async function startNextDueRun(
  deps: { store: DispatchStore; render: RenderFactory; logger?: Logger },
  now: Date,
): Promise<StartedRunSummary | null> {
  return deps.store.enqueueTransaction(async (tx) => {
    const run = await tx.startDueRun(now);
    if (!run) return null;
    let renderer: ReturnType<RenderFactory> | null = null;
    let renderError: string | null = null;
    try {
      renderer = deps.render(run.message, run.variants);
    } catch (err) {
      renderError = `template: ${(err as Error).message}`;
    }
    const window = { startMinute: run.window_start_minute, endMinute: run.window_end_minute };
    const summary: StartedRunSummary = { runId: run.id, campaignId: run.campaign_id, enqueued: 0, skipped: 0, failed: 0 };
    let after = 0;
    for (;;) {
      const chunk = await tx.readRecipientChunk(run.campaign_id, after, CHUNK);
      if (chunk.length === 0) break;
      after = chunk[chunk.length - 1]!.id;
      const messages: NewMessage[] = [];
      for (const r of chunk) {
        let body = '';
        let variantIndex: number | null = null;
        let error = renderError;
        if (renderer && !error) {
          try {
            ({ body, variantIndex } = renderer(stringVars(r.variables, r.phone), `${run.id}:${r.id}`));
          } catch (err) {
            error = `template: ${(err as Error).message}`;
          }
        }
        let nextAttemptAt = now;
        if (!r.opted_out && !error && window.startMinute !== null) {
          // In every zone the recipient may be in, by the rules engine (the claim checks the law).
          nextAttemptAt = windowOpening({ phone: r.phone, timezone: r.timezone }, { window, zone: run.timezone }, now);
        }
        const status = r.opted_out ? 'skipped' : error ? 'failed' : 'queued';
        if (status === 'skipped') summary.skipped++;
        else if (status === 'failed') summary.failed++;
        messages.push({
          recipientId: r.id,
          contactId: r.contact_id,
          toPhone: r.phone,
          body,
          variantIndex,
          status,
          nextAttemptAt,
          lastError: r.opted_out ? 'recipient opted out' : error,
        });
      }
      summary.enqueued += await tx.insertRunMessages({ campaignId: run.campaign_id, runId: run.id, now, messages });
    }
    await tx.setRunEnqueued(run.id, summary.enqueued);
    await tx.markCampaignRunning(run.campaign_id);
    deps.logger?.info({ ...summary }, 'run started');
    return summary;
  });
}
