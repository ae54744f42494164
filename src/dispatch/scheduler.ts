import type { Logger } from '../lib/logger.ts';
import { dueCronOccurrence } from './schedule.ts';
import type { DispatchStore } from './store.ts';

export interface CreatedRun {
  runId: number;
  campaignId: number;
  scheduledFor: Date;
  catchUp: boolean;
}

/**
 * One scheduler tick: create the run each campaign owes at `now`, and nothing
 * else (a tick only enqueues). One-off campaigns owe one run at their time
 * (their creation time when they have none: "send now"); cron campaigns owe
 * the latest occurrence since their last run (or since they were last changed,
 * for the first one), one catch-up run when several were missed. Several
 * schedulers may tick at once: the insert's unique key picks one creator.
 */
export async function createDueRuns(store: DispatchStore, now: Date, logger?: Logger): Promise<CreatedRun[]> {
  const created: CreatedRun[] = [];
  for (const c of await store.listScheduleCandidates()) {
    let due: { scheduledFor: Date; catchUp: boolean } | null = null;
    if (c.cron_expression) {
      try {
        due = dueCronOccurrence(c.cron_expression, c.timezone, c.last_scheduled_for ?? c.updated_at, now);
      } catch (err) {
        logger?.warn({ campaign: c.name, err: (err as Error).message }, 'campaign has a bad cron expression; skipped');
        continue;
      }
    } else {
      const at = c.schedule_at ?? c.created_at;
      if (at.getTime() <= now.getTime()) due = { scheduledFor: at, catchUp: false };
    }
    if (!due) continue;
    const run = await store.insertRun({ campaignId: c.id, scheduledFor: due.scheduledFor, catchUp: due.catchUp });
    if (run) {
      created.push({ runId: run.id, campaignId: c.id, scheduledFor: due.scheduledFor, catchUp: due.catchUp });
      logger?.info({ campaign: c.name, run: run.id, scheduledFor: due.scheduledFor, catchUp: due.catchUp }, 'run created');
    }
  }
  return created;
}
