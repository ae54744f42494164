import type { Logger } from '../lib/logger.ts';
import type { Faults } from './faults.ts';
import type { PacingConfig } from './pacing.ts';

export interface SimulatorTiming {
  /** Mean ms from send to delivery (or to failure); each message gets 0.5×–1.5× of it. */
  deliveryMs?: number;
  /** Mean ms from delivery to read, for the iMessages that get read. */
  readMs?: number;
  /** Mean ms from send to a recipient's reply. */
  replyMs?: number;
}

export interface SimulatorWebhookOptions {
  /** Attempts per event, the first included. */
  maxAttempts?: number;
  /** Delay before the first retry; doubles for each further one. */
  retryDelayMs?: number;
  /** Webhook POSTs in flight at once. */
  concurrency?: number;
  timeoutMs?: number;
}

export interface SimulatorOptions {
  /** 0 picks any free port. */
  port?: number;
  host?: string;
  /** When set, only this key is accepted; otherwise any `contiguity_sk_…` token is. */
  apiKey?: string;
  /** Where signed v2 webhooks go; none are sent without it. */
  webhookUrl?: string;
  secret?: string;
  seed?: number;
  /** Added to every API answer. */
  latencyMs?: number;
  /** Share of recipients that have iMessage (decided per number from the seed). */
  imessageRatio?: number;
  /** Share of recipients that reply to what they receive. */
  replyRatio?: number;
  /** Share of replies that are opt-out words (STOP, unsubscribe…). */
  optOutRatio?: number;
  /** Share of iMessage sends to capable recipients that fail transiently (fall back if asked to). */
  imessageFailureRate?: number;
  /** Share of SMS that the carrier fails (text.delivery.failed). */
  smsFailureRate?: number;
  /** Share of delivered iMessages that get read. */
  readRatio?: number;
  /** Share of messages that Apple auto-reports as spam. */
  spamRatio?: number;
  /** Whether the account has the Fast Track entitlement; without it fast_track sends get 403. */
  fastTrackAllowed?: boolean;
  /** Leased lines; a send without `from` goes out on one of them (the same one per recipient). */
  lines?: string[];
  /** Per-line pacing; false turns it off (benchmarks). */
  pacing?: PacingConfig | false;
  timing?: SimulatorTiming;
  webhook?: SimulatorWebhookOptions;
  apiVersion?: string;
  /** Faults active from the start. */
  faults?: Partial<Faults>;
  /** Keep every API request (method, path, body, answer status) for tests to read (received()); off by default, as a long run would hold them all. */
  recordRequests?: boolean;
  logger?: Logger;
}

export interface ResolvedSimulatorOptions {
  port: number;
  host: string;
  apiKey?: string;
  webhookUrl?: string;
  secret: string;
  seed: number;
  latencyMs: number;
  imessageRatio: number;
  replyRatio: number;
  optOutRatio: number;
  imessageFailureRate: number;
  smsFailureRate: number;
  readRatio: number;
  spamRatio: number;
  fastTrackAllowed: boolean;
  lines: string[];
  pacing: PacingConfig | false;
  timing: Required<SimulatorTiming>;
  webhook: Required<SimulatorWebhookOptions>;
  apiVersion: string;
  faults?: Partial<Faults>;
  recordRequests: boolean;
  logger?: Logger;
}

export const SIMULATOR_DEFAULTS = {
  port: 0,
  host: '127.0.0.1',
  secret: 'whsec_simulator_secret',
  seed: 1,
  latencyMs: 0,
  imessageRatio: 0.8,
  replyRatio: 0.1,
  optOutRatio: 0.2,
  imessageFailureRate: 0,
  smsFailureRate: 0.05,
  readRatio: 0.6,
  spamRatio: 0.01,
  lines: ['+14155550100', '+14155550101', '+14155550102'],
  pacing: { ratePerSecond: 1, burst: 5 },
  timing: { deliveryMs: 1_000, readMs: 5_000, replyMs: 8_000 },
  webhook: { maxAttempts: 4, retryDelayMs: 250, concurrency: 8, timeoutMs: 5_000 },
  apiVersion: 'v2026.8.2',
} as const;

function ratio(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0 || v > 1) throw new RangeError(`simulator option ${name} must be between 0 and 1, got ${v}`);
  return v;
}

export function resolveOptions(o: SimulatorOptions): ResolvedSimulatorOptions {
  const d = SIMULATOR_DEFAULTS;
  const lines = o.lines && o.lines.length ? [...o.lines] : [...d.lines];
  return {
    port: o.port ?? d.port,
    host: o.host ?? d.host,
    apiKey: o.apiKey,
    webhookUrl: o.webhookUrl,
    secret: o.secret ?? d.secret,
    seed: o.seed ?? d.seed,
    latencyMs: Math.max(0, o.latencyMs ?? d.latencyMs),
    imessageRatio: ratio('imessageRatio', o.imessageRatio ?? d.imessageRatio),
    replyRatio: ratio('replyRatio', o.replyRatio ?? d.replyRatio),
    optOutRatio: ratio('optOutRatio', o.optOutRatio ?? d.optOutRatio),
    imessageFailureRate: ratio('imessageFailureRate', o.imessageFailureRate ?? d.imessageFailureRate),
    smsFailureRate: ratio('smsFailureRate', o.smsFailureRate ?? d.smsFailureRate),
    readRatio: ratio('readRatio', o.readRatio ?? d.readRatio),
    spamRatio: ratio('spamRatio', o.spamRatio ?? d.spamRatio),
    fastTrackAllowed: o.fastTrackAllowed ?? true,
    lines,
    pacing: o.pacing === false ? false : { ...d.pacing, ...o.pacing },
    timing: { ...d.timing, ...o.timing },
    webhook: { ...d.webhook, ...o.webhook },
    apiVersion: o.apiVersion ?? d.apiVersion,
    faults: o.faults,
    recordRequests: o.recordRequests ?? false,
    logger: o.logger,
  };
}
