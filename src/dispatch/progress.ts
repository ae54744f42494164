import type pg from 'pg';
import { activeRunCounts, type DispatchCounts } from '../db/sql/dispatch-progress.ts';
import type { Logger } from '../lib/logger.ts';
import type { DispatchEvent } from './worker.ts';

export interface ProgressSnapshot {
  sent: number;
  failed: number;
  remaining: number;
  /** Messages per second over the last `rateWindowMs`. */
  rate: number;
  /** Seconds until remaining reaches zero at the current rate; null when unknown. */
  etaSeconds: number | null;
}

export interface ProgressReporter {
  /** Feed it the worker's events (the worker's onEvent). */
  onEvent(e: DispatchEvent): void;
  start(): void;
  stop(): Promise<void>;
  snapshot(): ProgressSnapshot;
}

export function formatProgress(s: ProgressSnapshot): string {
  const eta = s.etaSeconds === null ? '–' : s.etaSeconds < 90 ? `${Math.ceil(s.etaSeconds)}s` : `${Math.ceil(s.etaSeconds / 60)}m`;
  return `sent ${s.sent} · failed ${s.failed} · remaining ${s.remaining} · ${s.rate.toFixed(1)}/s · ETA ${eta}`;
}

/**
 * sent / failed come from this worker's own confirmed results; remaining is
 * what the active runs still have queued or sending (all workers), read from
 * the database once per interval. On a terminal: one line rewritten in place;
 * otherwise a pino log line per interval while something changes.
 */
export function createProgressReporter(opts: {
  pool: pg.Pool;
  logger: Logger;
  stream?: NodeJS.WriteStream;
  intervalMs?: number;
  rateWindowMs?: number;
}): ProgressReporter {
  const stream = opts.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY);
  const intervalMs = opts.intervalMs ?? (tty ? 500 : 10_000);
  const rateWindowMs = opts.rateWindowMs ?? 10_000;
  let sent = 0;
  let failed = 0;
  let remaining = 0;
  const stamps: number[] = [];
  let timer: NodeJS.Timeout | null = null;
  let last = '';
  let polling: Promise<void> | null = null;

  const snapshot = (): ProgressSnapshot => {
    const now = Date.now();
    while (stamps.length && stamps[0]! < now - rateWindowMs) stamps.shift();
    const rate = stamps.length / (rateWindowMs / 1000);
    return { sent, failed, remaining, rate, etaSeconds: rate > 0 ? remaining / rate : remaining === 0 ? 0 : null };
  };

  async function poll(): Promise<void> {
    const c: DispatchCounts = await activeRunCounts(opts.pool).catch(() => ({ queued: remaining, sending: 0, sent: 0, failed: 0, skipped: 0 }));
    remaining = c.queued + c.sending;
    const s = snapshot();
    const line = formatProgress(s);
    if (line === last) return;
    last = line;
    if (tty) stream.write(`\r\x1b[2K${line}`);
    else opts.logger.info({ progress: s }, 'dispatch progress');
  }

  return {
    onEvent(e) {
      if (e.type === 'sent') {
        sent++;
        stamps.push(Date.now());
      } else if (e.type === 'failed') failed++;
      else if (e.type === 'reconciled') sent += e.foundSent;
    },
    start() {
      if (timer) return;
      timer = setInterval(() => {
        polling ??= poll().finally(() => (polling = null));
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await polling;
      if (tty && last) stream.write('\n');
    },
    snapshot,
  };
}
