import type { LegalHoldCheck } from '../../src/dispatch/legal-hold.ts';
import type pg from 'pg';
import { pino } from 'pino';
import { manualClock, systemClock, type Clock } from '../../src/dispatch/clock.ts';
import { renderWithTemplates } from '../../src/dispatch/compose.ts';
import { createLocalPacer, createSharedPacer } from '../../src/dispatch/pacing.ts';
import { createPgDispatchStore } from '../../src/dispatch/store.ts';
import { createWorker, type DispatchEvent, type Worker, type WorkerOptions } from '../../src/dispatch/worker.ts';
import { createImessageClient, type ImessageClient } from '../../src/provider/client.ts';

export { manualClock, systemClock };

export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Valid US numbers in a chosen area code: +1<area>200<nnnn>. */
export function phone(i: number, area = '415'): string {
  return `+1${area}2${String(i).padStart(6, '0')}`;
}

export interface CampaignSeed {
  name?: string;
  message?: string;
  recipients?: number;
  phones?: string[];
  timezones?: (string | null)[];
  status?: 'draft' | 'scheduled' | 'running' | 'paused';
  scheduleAt?: Date | null;
  cron?: string | null;
  timezone?: string;
  senderLines?: string[];
  window?: [number, number] | null;
  concurrency?: number;
  ratePerLine?: number;
  burstPerLine?: number;
  fastTrack?: boolean;
  jitterMs?: number;
  maxAttempts?: number;
  newContactsPerHour?: number;
  newContactsPerDay?: number;
  createdAt?: Date;
  fallbackWhen?: string[];
  fallbackFrom?: string | null;
}

let seq = 0;

/** A campaign with its recipients (and their contacts), straight into the tables. */
export async function seedCampaign(pool: pg.Pool, s: CampaignSeed = {}): Promise<{ id: number; name: string; phones: string[] }> {
  const name = s.name ?? `c${++seq}_${process.pid}`;
  const createdAt = s.createdAt ?? new Date();
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO campaigns (name, message, status, schedule_at, cron_expression, timezone, sender_lines, window_start_minute,
                            window_end_minute, concurrency, rate_per_line, burst_per_line, fast_track, jitter_ms, max_attempts,
                            new_contacts_per_hour, new_contacts_per_day, created_at, updated_at, fallback_when, fallback_from)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19, $20) RETURNING id`,
    [
      name,
      s.message ?? 'Hi {{first_name|there}}, {see you|hope to see you} at the fair!',
      s.status ?? 'scheduled',
      s.scheduleAt === undefined ? null : s.scheduleAt,
      s.cron ?? null,
      s.timezone ?? 'America/New_York',
      s.senderLines ?? ['+14155550100', '+14155550101', '+14155550102'],
      s.window === undefined || s.window === null ? null : s.window[0],
      s.window === undefined || s.window === null ? null : s.window[1],
      s.concurrency ?? 16,
      s.ratePerLine ?? 1000,
      s.burstPerLine ?? 1000,
      s.fastTrack ?? false,
      s.jitterMs ?? 0,
      s.maxAttempts ?? 5,
      s.newContactsPerHour ?? 100_000,
      s.newContactsPerDay ?? 1_000_000,
      createdAt,
      s.fallbackWhen ?? [],
      s.fallbackFrom ?? null,
    ],
  );
  const id = rows[0]!.id;
  const phones = s.phones ?? Array.from({ length: s.recipients ?? 10 }, (_, i) => phone(i));
  // Recipients only, as an import leaves them: the run creates the contacts.
  await pool.query(
    `INSERT INTO campaign_recipients (campaign_id, phone, variables, timezone)
     SELECT $2, p.phone, jsonb_build_object('first_name', 'P' || right(p.phone, 4)), p.timezone
       FROM unnest($1::text[], $3::text[]) AS p(phone, timezone)`,
    [phones, id, phones.map((_, i) => s.timezones?.[i] ?? null)],
  );
  return { id, name, phones };
}

export function providerClient(sim: { url: string; apiKey: string }, o: { timeoutMs?: number } = {}): ImessageClient {
  return createImessageClient({
    baseUrl: sim.url,
    apiKey: sim.apiKey,
    timeoutMs: o.timeoutMs ?? 5_000,
    retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 50 },
  });
}

export const FAST_OPTIONS: Partial<WorkerOptions> = {
  pollIntervalMs: 50,
  reconcileIntervalMs: 200,
  ambiguousSettleMs: 200,
  backoff: { baseMs: 20, maxMs: 100 },
  tickSchedule: false,
  drainMs: 2_000,
};

export function testWorker(
  pool: pg.Pool,
  sender: Pick<ImessageClient, 'send' | 'history' | 'textHistory'>,
  o: { workerId?: string; clock?: Clock; options?: Partial<WorkerOptions>; onEvent?: (e: DispatchEvent) => void; localPacing?: boolean; legalHold?: LegalHoldCheck } = {},
): Worker {
  const clock = o.clock ?? systemClock;
  return createWorker({
    store: createPgDispatchStore(pool),
    sender,
    clock,
    logger: silentLogger,
    workerId: o.workerId ?? `test-${++seq}`,
    pacer: o.localPacing ? createLocalPacer(clock) : createSharedPacer(pool),
    legalHold: o.legalHold,
    render: renderWithTemplates,
    options: { ...FAST_OPTIONS, ...o.options },
    onEvent: o.onEvent,
  });
}

export async function messageStatuses(pool: pg.Pool, campaignId: number): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ status: string; n: number }>(
    `SELECT status::text AS status, count(*)::int AS n FROM outbound_messages WHERE campaign_id = $1 GROUP BY status`,
    [campaignId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

