import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { buildHttpServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { signatureHeader } from '../../src/provider/webhooks.ts';
import { webhookRoutes, type WebhookRouteDeps } from '../../src/http/routes/webhooks.ts';
import { createWebhookPipeline, type WebhookPipeline, type WebhookPipelineOptions } from '../../src/webhooks/pipeline.ts';
import type { ImessageClient } from '../../src/provider/client.ts';
import type { Worker, WorkerOptions } from '../../src/dispatch/worker.ts';
import { testWorker } from '../dispatch/fixtures.ts';

export const SECRET = 'whsec_test_secret_one';
export const OLD_SECRET = 'whsec_test_secret_old';
export const LINE = '+14155550100';

let seq = 0;
export const eventId = () => `evt_test_${process.pid}_${Date.now().toString(36)}_${++seq}`;

export interface Receiver {
  url: string;
  app: FastifyInstance;
  pipeline: WebhookPipeline;
  /** The dispatcher running alongside (with a full provider client): it sends the care messages, as in the service. */
  worker?: Worker;
  /** POST a body signed with SECRET (or as told). */
  post(body: string | object, o?: { secret?: string; t?: number; header?: string | null; contentType?: string }): Promise<Response>;
  close(): Promise<void>;
}

/** The receiver on a real port, with the pipeline's processor started unless told otherwise. */
export async function startReceiver(
  pool: pg.Pool,
  o: Partial<Omit<WebhookPipelineOptions, 'pool' | 'logger'>> & {
    startProcessor?: boolean;
    secrets?: string[];
    bodyLimit?: number;
    /** WEBHOOK_TOLERANCE_SECONDS (300 when not given; 0: off). */
    toleranceSeconds?: number;
    onSignatureRefused?: WebhookRouteDeps['onSignatureRefused'];
    /** Options of the dispatcher started with a client (false: none). */
    worker?: Partial<WorkerOptions> | false;
  } = {},
): Promise<Receiver> {
  const logger = createLogger('silent');
  const { secrets: _secrets, bodyLimit, toleranceSeconds, onSignatureRefused, worker: workerOptions, ...rest } = o;
  // `secrets: undefined` on purpose means no secret configured.
  const secrets = 'secrets' in o ? o.secrets : [SECRET, OLD_SECRET];
  const pipeline = createWebhookPipeline({ ...rest, pool, logger, processor: { pollIntervalMs: 200, retryBaseMs: 50, ...o.processor } });
  const app = await buildHttpServer({ logger }, [webhookRoutes({ secrets, inbox: pipeline.inbox, logger, bodyLimit, toleranceSeconds, onSignatureRefused, urgent: pipeline.urgent, applyNow: pipeline.applyNow })]);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const sender = o.client as Partial<ImessageClient> | undefined;
  const worker =
    workerOptions !== false && sender?.send && sender.history && sender.textHistory
      ? testWorker(pool, sender as ImessageClient, { options: workerOptions || {} })
      : undefined;
  if (o.startProcessor !== false) {
    pipeline.processor.start();
    worker?.start();
  }
  let closing: Promise<void> | undefined;
  return {
    url,
    app,
    pipeline,
    worker,
    post(body, p = {}) {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const headers: Record<string, string> = { 'content-type': p.contentType ?? 'application/json' };
      const header = p.header === undefined ? signatureHeader(text, p.secret ?? SECRET, p.t ?? Date.now() / 1000) : p.header;
      if (header !== null) headers['contiguity-signature'] = header;
      return fetch(`${url}/webhooks/contiguity`, { method: 'POST', headers, body: text });
    },
    close() {
      closing ??= (async () => {
        await app.close();
        await pipeline.stop();
        await worker?.stop();
      })();
      return closing;
    },
  };
}

export function event(type: string, data: Record<string, unknown>, id = eventId()) {
  return { id, type, timestamp: Math.floor(Date.now() / 1000), api_version: 'v2025.9.7', data };
}

export function incoming(from: string, body: string, o: { to?: string; id?: string; at?: number; type?: string } = {}) {
  const data: Record<string, unknown> = { from, to: o.to ?? LINE, body, timestamp: o.at ?? Math.floor(Date.now() / 1000) };
  if ((o.type ?? 'imessage.incoming') !== 'text.incoming.sms') data.attachments = [];
  return event(o.type ?? 'imessage.incoming', data, o.id);
}

export async function count(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<number> {
  const r = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) q`, params);
  return r.rows[0]!.n;
}

// ---- seeding: the rows the dispatcher would have written ----

export async function seedCampaign(
  pool: pg.Pool,
  o: {
    name?: string;
    status?: string;
    care_read_receipt?: boolean;
    care_tapback?: string | null;
    care_auto_reply?: string | null;
    opt_out_confirmation?: string | null;
    sender_lines?: string[];
    rate_per_line?: number;
    burst_per_line?: number;
    fast_track?: boolean;
    max_attempts?: number;
  } = {},
): Promise<number> {
  const r = await pool.query<{ id: number }>(
    `INSERT INTO campaigns (name, message, status, care_read_receipt, care_tapback, care_auto_reply, opt_out_confirmation,
                            sender_lines, rate_per_line, burst_per_line, fast_track, max_attempts)
     VALUES ($1, 'Hello {{name}}', $2::campaign_status, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
    [
      o.name ?? `c_${eventId()}`, o.status ?? 'running', o.care_read_receipt ?? false, o.care_tapback ?? null, o.care_auto_reply ?? null,
      o.opt_out_confirmation ?? null, o.sender_lines ?? [], o.rate_per_line ?? 1, o.burst_per_line ?? 5, o.fast_track ?? false, o.max_attempts ?? 5,
    ],
  );
  return r.rows[0]!.id;
}

export async function seedRecipient(pool: pg.Pool, campaignId: number, phone: string, variables: Record<string, string> = {}): Promise<{ contactId: number; recipientId: number }> {
  const c = await pool.query<{ id: number }>(
    `INSERT INTO contacts (phone) VALUES ($1) ON CONFLICT (phone) DO UPDATE SET phone = EXCLUDED.phone RETURNING id`,
    [phone],
  );
  const contactId = c.rows[0]!.id;
  const r = await pool.query<{ id: number }>(
    `INSERT INTO campaign_recipients (campaign_id, phone, variables) VALUES ($1, $2, $3) RETURNING id`,
    [campaignId, phone, variables],
  );
  return { contactId, recipientId: r.rows[0]!.id };
}

export async function seedRun(pool: pg.Pool, campaignId: number): Promise<number> {
  const r = await pool.query<{ id: number }>(
    `INSERT INTO campaign_runs (campaign_id, scheduled_for, status) VALUES ($1, now() - random() * interval '1 day', 'running') RETURNING id`,
    [campaignId],
  );
  return r.rows[0]!.id;
}

/** An outbound message; status 'sent' gets sent_at and (unless null) a provider id. */
export async function seedMessage(
  pool: pg.Pool,
  m: {
    campaignId: number;
    runId?: number | null;
    recipientId: number;
    contactId: number;
    to: string;
    from?: string | null;
    status?: string;
    providerMessageId?: string | null;
    sentAt?: Date;
    body?: string;
    channel?: string | null;
  },
): Promise<number> {
  const status = m.status ?? 'sent';
  const r = await pool.query<{ id: number }>(
    `INSERT INTO outbound_messages (campaign_id, run_id, recipient_id, contact_id, to_phone, from_line, requested_line, body, status,
                                    provider_message_id, sent_at, channel)
     VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8::message_status, $9, $10, $11::channel) RETURNING id`,
    [
      m.campaignId, m.runId ?? null, m.recipientId, m.contactId, m.to, m.from === undefined ? LINE : m.from, m.body ?? 'Hello there',
      status, status === 'queued' ? null : m.providerMessageId === undefined ? `imsg_${eventId()}` : m.providerMessageId,
      status === 'queued' ? null : m.sentAt ?? new Date(), m.channel === undefined ? (status === 'queued' ? null : 'imessage') : m.channel,
    ],
  );
  return r.rows[0]!.id;
}
