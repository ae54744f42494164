import pLimit from 'p-limit';
import { phonesToCheck, saveAvailability } from '../db/sql/availability.ts';
import type { Queryable } from '../db/sql/queryable.ts';
import { acquireToken, type Pacer } from '../dispatch/pacing.ts';
import { systemClock, type Clock } from '../dispatch/clock.ts';
import { exponentialDelay } from '../lib/backoff.ts';
import type { Logger } from '../lib/logger.ts';
import { classifyFailure } from '../provider/classify.ts';
import type { ImessageClient } from '../provider/client.ts';

/**
 * The pacer's bucket for availability lookups. The contract documents no
 * limit for them (only a line's 1 message/s, bursts of 5), so they are paced
 * as one more line of the account: one bucket for every process on the
 * database (the shared pacer), whoever asks (CLI, API).
 */
export const AVAILABILITY_BUCKET = 'availability:lookups';
const BURST = 5;
/** Failed attempts per number before its answer stays unknown (outages, network). */
const MAX_ATTEMPTS = 6;
/** 429s per number waited out before its answer stays unknown: the provider pacing us is no fault, but a check must end. */
const MAX_RATE_LIMITED = 60;

export interface AvailabilityCheckOptions {
  pacer: Pacer;
  /** Lookups per second (BLUECAST_AVAILABILITY_RATE). */
  ratePerSecond: number;
  /** Answers younger than this are reused, not asked again (BLUECAST_AVAILABILITY_MAX_AGE_HOURS). */
  maxAgeHours: number;
  clock?: Clock;
  /** Lookups in flight at once (the pacer still decides the rate). */
  concurrency?: number;
  /** Recipients read per page; a page's answers are written in one statement. */
  pageSize?: number;
  signal?: AbortSignal;
  logger?: Logger;
  /** Told after each written page: numbers asked so far. */
  onProgress?: (asked: number) => void;
}

export interface AvailabilityCheckResult {
  /** Numbers asked (fresh answers in the cache are not). */
  asked: number;
  imessage: number;
  sms: number;
  /** Numbers with no answer after every attempt (left unknown). */
  unanswered: number;
  /** 429 answers met (each waited for, Retry-After honoured). */
  rateLimited: number;
  /** The first few reasons numbers stayed unanswered. */
  errors: string[];
}

/** Thrown when the provider refuses the account itself (key, agreement): asking further cannot help. */
export class AvailabilityAccountError extends Error {}

/**
 * `--check-availability`: ask the provider whether each of the campaign's
 * recipients (still to reach) has iMessage, ahead of launch, and cache the
 * answers per number with their time. Fresh answers are reused (no call);
 * calls go through the project's pacer at `ratePerSecond` and never retry on
 * their own (retry: 'none') so each retry is paced too. A 429 pauses every
 * lookup until its Retry-After (or a backoff) has passed; an account refusal
 * stops the check. Numbers left unanswered stay unknown in the plan.
 */
export async function checkAvailability(
  db: Queryable,
  client: Pick<ImessageClient, 'availability'>,
  campaignId: number,
  o: AvailabilityCheckOptions,
): Promise<AvailabilityCheckResult> {
  const clock = o.clock ?? systemClock;
  const limit = pLimit(o.concurrency ?? 4);
  const out: AvailabilityCheckResult = { asked: 0, imessage: 0, sms: 0, unanswered: 0, rateLimited: 0, errors: [] };
  const freshSince = new Date(clock.now().getTime() - o.maxAgeHours * 3_600_000);
  let pausedUntil = 0;
  let accountError: AvailabilityAccountError | undefined;

  async function ask(phone: string): Promise<{ phone: string; available: boolean; checkedAt: Date } | null> {
    let attempt = 0;
    let limited = 0;
    for (;;) {
      if (accountError) return null;
      await acquireToken(o.pacer, clock, { line: AVAILABILITY_BUCKET, ratePerSecond: o.ratePerSecond, burst: BURST, maxWaitMs: Number.POSITIVE_INFINITY, signal: o.signal });
      // After the token: a 429 met while this lookup waited for it holds this one back too.
      const pause = pausedUntil - clock.now().getTime();
      if (pause > 0) await clock.sleep(pause, o.signal);
      try {
        const { available } = await client.availability(phone, { retry: 'none', signal: o.signal });
        return { phone, available, checkedAt: clock.now() };
      } catch (err) {
        if (o.signal?.aborted) throw err;
        const f = classifyFailure(err);
        if (f.kind === 'account') {
          accountError ??= new AvailabilityAccountError(`the provider refused the account: ${f.message}`);
          return null;
        }
        const is429 = (err as { status?: number }).status === 429;
        if (is429) {
          out.rateLimited++;
          limited++;
        } else attempt++;
        if (f.kind === 'refused' || attempt >= MAX_ATTEMPTS || limited >= MAX_RATE_LIMITED) {
          out.unanswered++;
          if (out.errors.length < 5) out.errors.push(`${phone}: ${f.message}`);
          return null;
        }
        // A lookup has no side effect: whatever failed may be asked again, after the provider's Retry-After.
        const wait = f.retryAfterMs ?? exponentialDelay(is429 ? limited - 1 : attempt - 1, { baseMs: 500, maxMs: 30_000 }, 'equal');
        pausedUntil = Math.max(pausedUntil, clock.now().getTime() + wait);
        o.logger?.debug({ phone, attempt: attempt + limited, waitMs: wait, reason: f.message }, 'availability lookup failed; asking again');
      }
    }
  }

  let afterId = '0';
  for (;;) {
    const page = await phonesToCheck(db, { campaignId, freshSince, afterId, limit: o.pageSize ?? 100 });
    if (page.lastId === null) break;
    afterId = page.lastId;
    const answers = (await Promise.all(page.phones.map((p) => limit(() => ask(p))))).filter((a) => a !== null);
    await saveAvailability(db, answers);
    out.asked += page.phones.length;
    for (const a of answers) a.available ? out.imessage++ : out.sms++;
    o.onProgress?.(out.asked);
    if (accountError) throw accountError;
  }
  return out;
}
