import type { RouteModule } from '../server.ts';
import type { Logger } from '../../lib/logger.ts';
import { ValidationError } from '../../lib/errors.ts';
import { parseEvent, SIGNATURE_HEADER, verifySignature, type ProviderEvent } from '../../provider/webhooks.ts';
import type { EventInbox } from '../../webhooks/inbox.ts';

export interface WebhookRouteDeps {
  /** WEBHOOK_SECRET (several during a rotation); without one every request is refused. */
  secrets: string[] | undefined;
  inbox: Pick<EventInbox, 'store'>;
  logger: Logger;
  /** Largest body accepted, bytes (413 beyond). */
  bodyLimit?: number;
  /** How old (or early) a signature timestamp may be, seconds. */
  toleranceSeconds?: number;
  path?: string;
}

export const WEBHOOK_PATH = '/webhooks/contiguity';

// jsonb cannot hold U+0000; such an event (legal JSON) is stored with the character replaced.
const NUL_ESCAPE = /\\u0000/i;
function storableJson(text: string): string {
  if (!NUL_ESCAPE.test(text)) return text;
  return JSON.stringify(JSON.parse(text), (_k, v: unknown) => (typeof v === 'string' ? v.replaceAll('\u0000', '\uFFFD') : v));
}

/**
 * POST /webhooks/contiguity: verify → parse → store → 2xx; processing happens
 * later, from the stored row (src/webhooks/processor.ts).
 *
 * The body is kept as the exact bytes received, because the signature covers
 * those bytes; every content type is read raw in this route's scope. Nothing
 * that fails verification or parsing reaches the database.
 */
export function webhookRoutes(deps: WebhookRouteDeps): RouteModule {
  const bodyLimit = deps.bodyLimit ?? 256 * 1024;
  const tolerance = deps.toleranceSeconds ?? 300;
  const secrets = deps.secrets ?? [];
  const log = deps.logger.child({ component: 'webhooks' });
  return (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

    app.post(deps.path ?? WEBHOOK_PATH, { bodyLimit }, async (req, reply) => {
      if (secrets.length === 0) {
        log.warn('webhook refused: WEBHOOK_SECRET is not set');
        return reply.code(503).send({ error: 'webhooks are disabled: set WEBHOOK_SECRET' });
      }
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const header = req.headers[SIGNATURE_HEADER];
      const verdict = verifySignature(raw, Array.isArray(header) ? header[0] : header, secrets, tolerance);
      if (!verdict.ok) {
        log.warn({ reason: verdict.reason, ip: req.ip }, 'webhook rejected: bad signature');
        return reply.code(401).send({ error: `invalid signature (${verdict.reason})` });
      }
      const text = raw.toString('utf8');
      let event: ProviderEvent;
      try {
        event = parseEvent(text);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        log.warn({ issues: err.issues }, 'webhook rejected: not an event');
        return reply.code(400).send({ error: 'not a webhook event', issues: err.issues });
      }
      try {
        await deps.inbox.store({ providerEventId: event.id, type: event.type, payload: storableJson(text) });
      } catch (err) {
        // Not stored, so not acknowledged: the sender may try again.
        log.error({ err, eventId: event.id }, 'webhook event could not be stored');
        return reply.code(503).send({ error: 'could not store the event, try again' });
      }
      return reply.code(200).send({ received: true });
    });
  };
}
