import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { sleep } from '../lib/sleep.ts';
import type { WebhookEmitter } from './emitter.ts';
import { mergeFaults, NO_FAULTS, type Faults, type FaultsInput } from './faults.ts';
import type { ResolvedSimulatorOptions } from './options.ts';
import { LinePacer } from './pacing.ts';
import { accountRefusalFor } from './refusals.ts';
import { shapeIncoming } from './incoming-shapes.ts';
import { getStatusValue, offSchemaHistoryEntry } from './harsh-answers.ts';
import { randomToken, seededRandom } from './random.ts';
import type { Scheduler } from './scheduler.ts';
import { checkRead, checkReaction, checkSend, checkTyping, isE164 } from './validate.ts';
import { SMS_FAILURE, statusAt, trackingAt, type SimMessage, type World } from './world.ts';

const TOKEN = /^Token (contiguity_sk_[A-Za-z0-9_-]+)$/;
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const reqId = (prefix: string) => `${prefix}_${randomToken(8, 'hex')}`;

export interface BuildDeps {
  opts: ResolvedSimulatorOptions;
  world: World;
  scheduler: Scheduler;
  emitter?: WebhookEmitter;
}

/** An API request as the simulator received it, and how it answered (recordRequests). */
export interface ReceivedRequest {
  method: string;
  /** Without the query string. */
  path: string;
  query: Record<string, string>;
  /** The parsed JSON body (null without one). */
  body: unknown;
  /** The status answered; 0 when the connection was dropped instead. */
  status: number;
  at: number;
}

export interface SimulatorApp {
  app: FastifyInstance;
  /** What recordRequests kept, in the order the requests arrived. */
  received(): ReceivedRequest[];
  /** API requests received (not /__sim/*), answered or not. */
  requestCount(): number;
  getFaults(): Faults;
  setFaults(f: FaultsInput): void;
  clearFaults(): void;
}

/** The simulated provider's HTTP surface: the documented paths, envelopes and errors, plus /__sim/*. */
export function buildSimulatorApp(deps: BuildDeps): SimulatorApp {
  const { opts, world, scheduler, emitter } = deps;
  let faults: Faults = opts.faults ? mergeFaults(NO_FAULTS, opts.faults) : { ...NO_FAULTS };
  const random = seededRandom(opts.seed ^ 0x5eed);
  const pacer = opts.pacing ? new LinePacer(opts.pacing) : undefined;
  const dropAfter = new WeakSet<FastifyRequest>();
  const gatewayAfter = new WeakSet<FastifyRequest>();

  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, return503OnClosing: true, forceCloseConnections: true });

  const envelope = (data: unknown) => ({ id: reqId('req'), timestamp: Date.now(), api_version: opts.apiVersion, object: 'response', data });
  const errorBody = (status: number, error?: string) => ({
    id: reqId('err'),
    timestamp: Date.now(),
    api_version: opts.apiVersion,
    object: 'error',
    data: { error: error ?? STATUS_TEXT[status] ?? 'Error', status },
  });

  function destroy(req: FastifyRequest, reply: FastifyReply): FastifyReply {
    reply.hijack();
    req.raw.socket.destroy();
    return reply;
  }
  /** Every API answer goes through here so that a drop-after fault can swallow it. */
  function answer(req: FastifyRequest, reply: FastifyReply, status: number, body: unknown): FastifyReply {
    if (dropAfter.has(req)) return destroy(req, reply);
    if (gatewayAfter.has(req)) return reply.code(502).type('text/html').send('<html><body><h1>502 Bad Gateway</h1></body></html>');
    return reply.code(status).send(body);
  }
  const ok = (req: FastifyRequest, reply: FastifyReply, data: unknown) => answer(req, reply, 200, envelope(data));
  const err = (req: FastifyRequest, reply: FastifyReply, status: number, error?: string) => answer(req, reply, status, errorBody(status, error));

  app.setErrorHandler((e: Error & { statusCode?: number }, req, reply) => {
    const status = e.statusCode && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
    return reply.code(status).send(errorBody(status, status === 500 ? undefined : `${STATUS_TEXT[status] ?? 'Error'}: ${e.message}`));
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send(errorBody(404, `Not Found: ${req.method} ${req.url.split('?')[0]}`)));

  // Faults first (they stand for the network and the provider's infrastructure), then auth.
  let requests = 0;
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/__sim')) return;
    requests++;
    const latency = opts.latencyMs + faults.latencyMs;
    if (latency > 0) await sleep(latency);
    if (faults.dropConnections > 0 && random() < faults.dropConnections) {
      if (faults.dropPhase === 'before') return destroy(req, reply);
      dropAfter.add(req);
    }
    // Sends only: history reads stay readable, as after a gateway blip.
    if (req.method === 'POST' && faults.gatewayErrorAfter > 0 && random() < faults.gatewayErrorAfter) gatewayAfter.add(req);
    const now = Date.now();
    if (faults.outage && now >= faults.outage.from && now < faults.outage.until) return reply.code(503).send(errorBody(503));
    if (faults.errorRate > 0 && random() < faults.errorRate) return reply.code(faults.errorStatus).send(errorBody(faults.errorStatus));
    const m = TOKEN.exec(req.headers.authorization ?? '');
    if (!m || (opts.apiKey !== undefined && m[1] !== opts.apiKey)) return reply.code(401).send(errorBody(401));
  });

  // Recorded on arrival (so the order is the arrival order), completed with the answer.
  const received: ReceivedRequest[] = [];
  const entries = new WeakMap<FastifyRequest, ReceivedRequest>();
  if (opts.recordRequests) {
    app.addHook('preHandler', async (req) => {
      if (req.url.startsWith('/__sim')) return;
      const e: ReceivedRequest = { method: req.method, path: req.url.split('?')[0]!, query: { ...(req.query as Record<string, string>) }, body: req.body ?? null, status: 0, at: Date.now() };
      received.push(e);
      entries.set(req, e);
    });
    app.addHook('onResponse', async (req, reply) => {
      const e = entries.get(req);
      if (e && !dropAfter.has(req)) e.status = reply.statusCode;
    });
  }

  const sec = (ms: number) => Math.floor(ms / 1000);
  const emit = (type: string, data: Record<string, unknown>, timestamp = sec(Date.now())) =>
    emitter?.emit({ id: `evt_${randomToken(9, 'base64url')}`, type, timestamp, api_version: opts.apiVersion, data });

  /** Everything that happens to a send later: carrier receipts for SMS, a reply from some recipients. */
  function follow(msg: SimMessage): void {
    if (msg.channel === 'sms' && emitter) {
      scheduler.at(msg.settleAt, () => {
        const ownId = msg.fellBack && faults.fallbackSmsId === 'own';
        const base = { from: msg.from, to: msg.to, message_id: ownId ? `sms_${msg.id}` : msg.id, timestamp: sec(msg.settleAt) };
        if (msg.failed) emit('text.delivery.failed', { ...base, error: SMS_FAILURE });
        else emit('text.delivery.confirmed', base);
      });
    }
    const reply = world.replyFor(msg);
    if (reply) {
      scheduler.at(reply.at, () => {
        const channel = msg.channel === 'imessage' && world.hasImessage(msg.to) ? 'imessage' : 'sms';
        world.receive(msg.to, msg.from, reply.body, channel, reply.at);
        const ev = shapeIncoming(faults.incomingShape, channel, { from: msg.to, to: msg.from, body: reply.body, atMs: reply.at });
        emit(channel === 'imessage' ? 'imessage.incoming' : 'text.incoming.sms', ev.data, ev.timestamp);
      });
    }
  }

  app.post('/send/imessage', async (req, reply) => {
    const c = checkSend(req.body);
    if (!c.ok) return err(req, reply, 400, c.error);
    const p = c.value;
    const refusal = accountRefusalFor(faults, p, p.from ?? world.lineFor(p.to));
    if (refusal) {
      const body = errorBody(refusal.status, refusal.error);
      return answer(req, reply, refusal.status, { ...body, data: { ...body.data, ...refusal.extra } });
    }
    if (p.fast_track && !opts.fastTrackAllowed) return err(req, reply, 403, 'Forbidden: fast_track needs the Fast Track entitlement');
    const now = Date.now();
    if (pacer && !p.fast_track) {
      const t = pacer.take(p.from ?? world.lineFor(p.to), now);
      if (!t.ok) {
        if (dropAfter.has(req)) return destroy(req, reply);
        if (faults.retryAfter === 'seconds') reply.header('retry-after', String(Math.max(1, Math.ceil(t.retryAfterMs / 1000))));
        return err(req, reply, 429, 'Too Many Requests: this line sends at most 1 message per second (bursts of 5); use more lines or fast_track');
      }
    }
    const substitute = p.from !== undefined && faults.lineSubstitution !== 'none' ? opts.lines.find((l) => l !== p.from) : undefined;
    const out = world.send(substitute ? { ...p, from: substitute } : p, now);
    if (!out.ok) return err(req, reply, out.status, out.error);
    if (substitute) {
      const message_id = faults.lineSubstitution === 'with-id' ? out.message.id : null;
      emit('numbers.substitution', { original_number: p.from, used_number: substitute, reason: 'the requested line is unavailable', message_id, timestamp: sec(now) });
    }
    follow(out.message);
    return ok(req, reply, { message_id: out.message.id });
  });

  app.post('/send/imessage/typing', async (req, reply) => {
    const c = checkTyping(req.body);
    if (!c.ok) return err(req, reply, 400, c.error);
    return ok(req, reply, { status: c.value.action === 'start' ? 'started' : 'stopped' });
  });

  app.post('/send/imessage/reactions', async (req, reply) => {
    const c = checkReaction(req.body);
    if (!c.ok) return err(req, reply, 400, c.error);
    const { to, from, action, tapback, message } = c.value;
    if (!world.react(to, from, tapback, message, action, Date.now())) {
      return err(req, reply, 400, `Bad Request: no message "${message}" in the conversation between ${from} and ${to}`);
    }
    return ok(req, reply, { status: action === 'add' ? 'added' : 'removed', message: `Reaction ${action === 'add' ? 'added' : 'removed'} to ${to} from ${from}` });
  });

  app.post('/send/imessage/read', async (req, reply) => {
    const c = checkRead(req.body);
    if (!c.ok) return err(req, reply, 400, c.error);
    return ok(req, reply, { status: 'sent', message: `Read receipt sent to ${c.value.to} from ${c.value.from}` });
  });

  const tracking = (q: unknown) => (q as { tracking?: string } | undefined)?.tracking === 'true';

  app.get<{ Params: { id: string } }>('/conversations/history/message/:id', async (req, reply) => {
    const m = world.messages.get(req.params.id);
    if (!m) return err(req, reply, 404, `Not Found: no message ${req.params.id}`);
    const now = Date.now();
    const data = {
      id: m.id,
      to: m.to,
      from: m.from,
      message: m.body,
      timestamp: m.sentAt,
      status: getStatusValue(faults.getStatus, statusAt(m, now)),
      attachments: m.attachments,
      ...(tracking(req.query) ? { tracking: trackingAt(m, now) } : {}),
    };
    return ok(req, reply, data);
  });

  type ThreadRequest = FastifyRequest<{ Params: { to: string; from: string; limit?: string } }>;

  /** Read and check the thread parameters both histories share; null when answered with a 400. */
  function threadParams(req: ThreadRequest, reply: FastifyReply): { to: string; from: string; limit: number } | null {
    const { to, from } = req.params;
    const limit = req.params.limit === undefined ? 20 : Number(req.params.limit);
    const problems: string[] = [];
    if (!isE164(to)) problems.push('to must be an E.164 phone number');
    if (!isE164(from)) problems.push('from must be an E.164 phone number');
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) problems.push('limit must be a whole number from 1 to 200');
    if (problems.length) {
      err(req, reply, 400, `Bad Request: ${problems.join('; ')}`);
      return null;
    }
    return { to, from, limit };
  }

  const delivery = (m: SimMessage, now: number) => {
    const settled = m.direction === 'in' || now >= m.settleAt;
    return {
      status: !settled ? 'delayed' : statusAt(m, now) === 'failed' ? 'failed' : 'delivered',
      delayed: !settled,
      timestamp: settled ? m.settleAt : 0,
    };
  };

  /** One page of a thread on one channel, and each entry's fields that both histories show. */
  const threadPage = (req: ThreadRequest, reply: FastifyReply, channel: SimMessage['channel']) => {
    const q = threadParams(req, reply);
    if (!q) return null;
    const now = Date.now();
    const withTracking = tracking(req.query);
    const all = world.conversation(q.to, q.from).filter((m) => m.channel === channel);
    const entry = (m: SimMessage) => ({
      to: m.to,
      from: m.from,
      message: m.body,
      timestamp: m.sentAt,
      delivery: delivery(m, now),
      attachments: m.attachments,
      ...(withTracking ? { tracking: trackingAt(m, now) } : {}),
    });
    return { q, now, total: all.length, page: all.slice(-q.limit), entry };
  };

  const history = async (req: ThreadRequest, reply: FastifyReply) => {
    // The iMessage history shows the iMessage channel only; SMS fallbacks live in the text history.
    const t = threadPage(req, reply, 'imessage');
    if (!t) return reply;
    const { q, now } = t;
    const conversation = t.page.map((m) => ({
      ...t.entry(m),
      read: m.readAt && now >= m.readAt ? m.readAt : 0,
      risk: { auto_reported_as_spam: m.autoSpam, marked_as_spam: m.markedSpam && m.readAt > 0 && now >= m.readAt },
    }));
    return ok(req, reply, {
      conversation: faults.historyOffSchema ? [offSchemaHistoryEntry(q.to, q.from), ...conversation] : conversation,
      reactions: world.reactionsOf(q.to, q.from),
      chat: {
        filtered: false,
        chat_marked_as_spam: conversation.some((c) => c.risk.marked_as_spam),
        limit: q.limit,
        total: t.total,
        count: conversation.length,
      },
    });
  };
  app.get('/conversations/history/imessage/:to/:from/:limit', history);
  app.get('/conversations/history/imessage/:to/:from', history);

  /*
   * The SMS/MMS thread: SMS we sent (fallbacks of iMessage sends, filed under
   * the line they really went out on: fallback.from when given, else the
   * iMessage line) and SMS that came in. No read times or spam flags, as documented.
   */
  const textHistory = async (req: ThreadRequest, reply: FastifyReply) => {
    const t = threadPage(req, reply, 'sms');
    if (!t) return reply;
    const entries = t.page.map(t.entry);
    const conversation = faults.historyOffSchema ? [offSchemaHistoryEntry(t.q.to, t.q.from), ...entries] : entries;
    return ok(req, reply, {
      conversation,
      // Tapbacks are an iMessage feature: a text thread has none.
      reactions: [],
      chat: { limit: t.q.limit, total: t.total, count: conversation.length },
    });
  };
  app.get('/conversations/history/text/:to/:from/:limit', textHistory);
  app.get('/conversations/history/text/:to/:from', textHistory);

  // Account-wide bucket of the availabilityLimit fault (rebuilt when the limit changes).
  let lookupBucket: { cfg: Faults['availabilityLimit']; pacer: LinePacer } | undefined;
  app.get<{ Params: { to: string } }>('/conversations/availability/imessage/:to', async (req, reply) => {
    const at = Date.now();
    if (!isE164(req.params.to)) {
      return err(req, reply, 400, 'Bad Request: to must be an E.164 phone number');
    }
    const limit = faults.availabilityLimit;
    if (limit) {
      if (lookupBucket?.cfg !== limit) lookupBucket = { cfg: limit, pacer: new LinePacer(limit) };
      const t = lookupBucket.pacer.take('account', at);
      if (!t.ok) {
        if (faults.retryAfter === 'seconds') reply.header('retry-after', String(Math.max(1, Math.ceil(t.retryAfterMs / 1000))));
        return err(req, reply, 429, 'Too Many Requests: too many availability lookups');
      }
    }
    return ok(req, reply, { available: world.hasImessage(req.params.to) });
  });

  // Inspection and fault injection, for tests and the demo. No auth: the simulator binds to 127.0.0.1.
  app.get('/__sim/sent', async () => world.sent);
  app.get('/__sim/stats', async () => ({ requests, sent: world.sent.length, webhooks: emitter?.records.length ?? 0 }));
  app.get('/__sim/webhooks', async () => emitter?.records ?? []);
  app.get('/__sim/faults', async () => faults);
  app.post('/__sim/faults', async (req, reply) => {
    try {
      faults = mergeFaults(faults, (req.body ?? {}) as FaultsInput);
    } catch (e) {
      if (e instanceof z.ZodError) return reply.code(400).send({ error: e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      throw e;
    }
    return faults;
  });
  app.delete('/__sim/faults', async () => {
    faults = { ...NO_FAULTS };
    return faults;
  });

  return {
    app,
    received: () => received.slice(),
    requestCount: () => requests,
    getFaults: () => faults,
    setFaults: (f) => {
      faults = mergeFaults(faults, f);
    },
    clearFaults: () => {
      faults = { ...NO_FAULTS };
    },
  };
}
