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
  /** How old (or early) a signature timestamp may be, seconds; 0: not checked. */
  toleranceSeconds?: number;
  path?: string;
  /**
   * Events whose effects must be in place before the 2xx (an opt-out reply):
   * the receiver applies them with `applyNow` and answers 503 when it could not
   * (the event stays stored; the processor retries it, the provider resends it).
   */
  urgent?: (event: ProviderEvent) => boolean;
  applyNow?: (providerEventId: string) => Promise<boolean>;
  /** A signed event off its documented shape was accepted (metrics). */
  onOffShape?: (type: string) => void;
  /** A delivery was refused for its signature (metrics): 'stale' is a correctly signed event. */
  onSignatureRefused?: (reason: 'missing' | 'malformed' | 'stale' | 'mismatch') => void;
}

export const WEBHOOK_PATH = '/webhooks/contiguity';

// jsonb cannot hold U+0000 nor a lone surrogate (\ud800 without its pair), in
// values or in keys, and a text column cannot hold U+0000; such an event (legal
// JSON, validly signed) is stored with U+FFFD in their place. Refusing it
// instead would make the provider retry it for ever. Only escapes produce
// them: decoded UTF-8 never does.
const UNSTORABLE_ESCAPE = /\\u(0000|d[89a-f][0-9a-f]{2})/i;
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const storableText = (s: string) => s.replace(UNSTORABLE, '\uFFFD');
function storable(v: unknown): unknown {
  if (typeof v === 'string') return storableText(v);
  if (Array.isArray(v)) return v.map(storable);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [storableText(k), storable(x)]));
  return v;
}
/** The JSON text made storable as jsonb; null when it cannot be here (too deep to walk), and the raw text is kept instead. */
function storableJson(text: string): string | null {
  if (!UNSTORABLE_ESCAPE.test(text)) return text;
  try {
    return JSON.stringify(storable(JSON.parse(text)));
  } catch {
    return null;
  }
}

/** The id and type of a JSON object that is no event as documented (type 'unknown' when it has none). */
function signedEventKey(text: string): { id: string; type: string } | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const o = json as Record<string, unknown>;
  const id = typeof o.id === 'string' && o.id !== '' ? o.id : typeof o.id === 'number' ? String(o.id) : undefined;
  if (!id) return undefined;
  return { id, type: typeof o.type === 'string' && o.type !== '' ? o.type : 'unknown' };
}

function dataOfJson(text: string): unknown {
  try {
    return (JSON.parse(text) as { data?: unknown }).data;
  } catch {
    return undefined;
  }
}

/**
 * POST /webhooks/contiguity: verify → parse → store → 2xx; processing happens
 * later, from the stored row (src/webhooks/processor.ts), except for opt-out
 * replies, applied before the 2xx (`urgent`).
 *
 * The body is kept as the exact bytes received, because the signature covers
 * those bytes; every content type is read raw in this route's scope. Nothing
 * that fails verification or parsing reaches the database.
 */
export function webhookRoutes(deps: WebhookRouteDeps): RouteModule {
  const bodyLimit = deps.bodyLimit ?? 1024 * 1024;
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
        deps.onSignatureRefused?.(verdict.reason);
        if (verdict.reason === 'stale') {
          // Signed by the provider, but further from our clock than the
          // tolerance allows. Refused as the SDK refuses it (a replay looks the
          // same), never acknowledged: the provider keeps it and may send it
          // again. Loud, since a skewed clock here or there would refuse every event.
          log.error(
            { reason: 'stale', skewSeconds: verdict.skewSeconds, toleranceSeconds: tolerance, ip: req.ip },
            "webhook refused: correctly signed but outside WEBHOOK_TOLERANCE_SECONDS; check this host's clock (bluecast doctor) or raise the tolerance",
          );
        } else {
          log.warn({ reason: verdict.reason, ip: req.ip }, 'webhook rejected: bad signature');
        }
        return reply.code(401).send({ error: `invalid signature (${verdict.reason})` });
      }
      const text = raw.toString('utf8');
      // A signed event is the provider's: stored and acknowledged whatever its
      // shape, so that it is never lost (the provider may stop delivering to an
      // endpoint that answers non-2xx). Only a body with no id to store it by is refused.
      let event: ProviderEvent | undefined;
      let shape: { id: string; type: string } | undefined;
      let shapeIssues: string | null = null;
      try {
        event = parseEvent(text);
        shape = event;
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        shape = signedEventKey(text);
        if (!shape) {
          log.warn({ issues: err.issues }, 'webhook rejected: signed, but not a JSON object with an id');
          return reply.code(400).send({ error: 'not a webhook event: a JSON object with an id is required', issues: err.issues });
        }
        log.warn({ eventId: shape.id, type: shape.type, issues: err.issues }, 'webhook event off its documented shape: stored, processed leniently');
        shapeIssues = storableText(err.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ').slice(0, 1000));
        deps.onOffShape?.(shape.type);
      }
      try {
        // The id and type go to text columns, which cannot hold U+0000 either.
        await deps.inbox.store({ providerEventId: storableText(shape.id), type: storableText(shape.type), payload: storableJson(text), raw: text, shapeIssues });
      } catch (err) {
        // Not stored, so not acknowledged: the sender may try again.
        log.error({ err, eventId: shape.id }, 'webhook event could not be stored');
        return reply.code(503).send({ error: 'could not store the event, try again' });
      }
      // Nothing may go out to a person after their STOP is acknowledged.
      const urgentOne = event ? deps.urgent?.(event) : deps.urgent?.({ id: shape.id, type: shape.type, timestamp: 0, api_version: '', data: dataOfJson(text), known: false });
      if (deps.applyNow && urgentOne && !(await deps.applyNow(storableText(shape.id)))) {
        return reply.code(503).send({ error: 'stored, but not applied yet: try again' });
      }
      return reply.code(200).send({ received: true });
    });
  };
}
