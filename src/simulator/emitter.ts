import { SIGNATURE_HEADER, signatureHeader } from '../provider/webhooks.ts';
import { createWire, WireError } from '../provider/wire.ts';
import type { Logger } from '../lib/logger.ts';
import type { Scheduler } from './scheduler.ts';

export interface WebhookEvent {
  id: string;
  type: string;
  timestamp: number;
  api_version: string;
  data: Record<string, unknown>;
}

export interface EmittedRecord {
  event: WebhookEvent;
  attempts: number;
  state: 'pending' | 'delivered' | 'failed';
  /** HTTP status of the last attempt, or the network error. */
  last?: number | string;
}

export interface EmitterOptions {
  url: string;
  secret: string;
  maxAttempts: number;
  retryDelayMs: number;
  concurrency: number;
  timeoutMs: number;
  /** Seconds to sign in the past (the signatureSkewSeconds fault), read at each attempt. */
  skewSeconds?: () => number;
}

/**
 * Posts signed webhooks off the send path: events wait in a queue that a few
 * concurrent posters drain; a receiver that does not answer 2xx gets the
 * event again after a growing delay, a few times.
 */
export class WebhookEmitter {
  private readonly queue: EmittedRecord[] = [];
  private head = 0;
  private active = 0;
  private stopped = false;
  private readonly inflight = new Set<AbortController>();
  // keep-alive node:http, far cheaper per POST than fetch at hundreds of events a second
  private readonly wire = createWire();
  private readonly url: URL;
  readonly records: EmittedRecord[] = [];

  constructor(
    private readonly opts: EmitterOptions,
    private readonly scheduler: Scheduler,
    private readonly logger?: Logger,
  ) {
    this.url = new URL(opts.url);
  }

  emit(event: WebhookEvent): void {
    if (this.stopped) return;
    const rec: EmittedRecord = { event, attempts: 0, state: 'pending' };
    this.records.push(rec);
    this.push(rec);
  }

  stop(): void {
    this.stopped = true;
    for (const c of this.inflight) c.abort();
    this.wire.close();
  }

  private push(rec: EmittedRecord): void {
    this.queue.push(rec);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.active < this.opts.concurrency && this.head < this.queue.length) {
      const rec = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.active++;
      void this.post(rec).finally(() => {
        this.active--;
        this.pump();
      });
    }
  }

  private async post(rec: EmittedRecord): Promise<void> {
    rec.attempts++;
    const body = JSON.stringify(rec.event);
    const ctl = new AbortController();
    this.inflight.add(ctl);
    const timer = setTimeout(() => ctl.abort(), this.opts.timeoutMs);
    try {
      const res = await this.wire.request(
        'POST',
        this.url,
        {
          'content-type': 'application/json',
          // Signed per attempt so that a late retry still carries a fresh timestamp.
          [SIGNATURE_HEADER]: signatureHeader(body, this.opts.secret, Math.floor(Date.now() / 1000) - (this.opts.skewSeconds?.() ?? 0)),
        },
        body,
        ctl.signal,
      );
      rec.last = res.status;
      if (res.status >= 200 && res.status < 300) {
        rec.state = 'delivered';
        return;
      }
    } catch (err) {
      rec.last = err instanceof WireError ? (err.code ?? err.message) : String(err);
    } finally {
      clearTimeout(timer);
      this.inflight.delete(ctl);
    }
    if (this.stopped) return;
    if (rec.attempts >= this.opts.maxAttempts) {
      rec.state = 'failed';
      this.logger?.warn({ event: rec.event.id, type: rec.event.type, attempts: rec.attempts, last: rec.last }, 'webhook not acknowledged; giving up');
      return;
    }
    this.scheduler.at(Date.now() + this.opts.retryDelayMs * 2 ** (rec.attempts - 1), () => this.push(rec));
  }
}
