import { CronExpressionParser } from 'cron-parser';
import { ValidationError } from '../lib/errors.ts';

export interface DueOccurrence {
  scheduledFor: Date;
  /** More than one occurrence was missed: this one run stands for all of them. */
  catchUp: boolean;
}

/**
 * The occurrence a cron campaign owes a run for at `now`, if any: the latest
 * fire time in (`after`, `now`] in the campaign's zone. When more than one fire
 * time fell in that interval (nothing ran for a while) the result is still one
 * occurrence, the latest, marked as a catch-up. Constant time: one step back
 * from now, one step forward from `after`.
 */
export function dueCronOccurrence(expression: string, zone: string, after: Date, now: Date): DueOccurrence | null {
  let latest: Date;
  let first: Date;
  try {
    // currentDate is exclusive for prev(): start a millisecond past now so an occurrence exactly at now counts.
    latest = CronExpressionParser.parse(expression, { currentDate: new Date(now.getTime() + 1), tz: zone }).prev().toDate();
    first = CronExpressionParser.parse(expression, { currentDate: after, tz: zone }).next().toDate();
  } catch (err) {
    throw new ValidationError([{ path: 'cron_expression', message: err instanceof Error ? err.message : String(err) }]);
  }
  if (latest.getTime() <= after.getTime()) return null;
  return { scheduledFor: latest, catchUp: first.getTime() < latest.getTime() };
}
