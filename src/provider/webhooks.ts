import { createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../lib/errors.ts';
import { eventEnvelopeSchema, KNOWN_EVENT_TYPES, knownEventSchema, type ProviderEvent } from './events.ts';
import { toIssues } from './schemas.ts';

export type { EventOf, KnownEvent, KnownEventType, ProviderEvent, UnknownEvent } from './events.ts';
export { KNOWN_EVENT_TYPES } from './events.ts';

export const SIGNATURE_HEADER = 'contiguity-signature';

export type VerifyResult =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' }
  /** Correctly signed, but `skewSeconds` away from now (positive: signed in the past), beyond the tolerance. */
  | { ok: false; reason: 'stale'; skewSeconds: number };

function toBuffer(raw: string | Buffer): Buffer {
  return typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
}

function hmac(raw: Buffer, secret: string, t: string): Buffer {
  // Signed over the exact bytes received: "t." + raw body, never re-serialised JSON.
  return createHmac('sha256', secret).update(`${t}.`, 'utf8').update(raw).digest();
}

/** The `t=…,v1=…` value of the Contiguity-Signature header for a body. */
export function signatureHeader(rawBody: string | Buffer, secret: string, timestampSeconds: number): string {
  const t = String(Math.floor(timestampSeconds));
  return `t=${t},v1=${hmac(toBuffer(rawBody), secret, t).toString('hex')}`;
}

/**
 * Check a webhook signature against each current secret (several during a
 * rotation). Timestamps further than `toleranceSeconds` from now, in either
 * direction, are refused (as the SDK's verify refuses them) so that a
 * captured request cannot be replayed; 0
 * turns that check off (the SDK's verify without a tolerance). The header is
 * read as the SDK reads it: `t=` and `v1=` pairs, any order, spaces allowed,
 * other schemes ignored; hex in either case.
 */
export function verifySignature(
  rawBody: string | Buffer,
  header: string | undefined,
  secrets: string[],
  toleranceSeconds = 300,
  nowSeconds: number = Date.now() / 1000,
): VerifyResult {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  let t: string | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, reason: 'malformed' };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (t !== undefined || !/^\d{1,12}$/.test(value)) return { ok: false, reason: 'malformed' };
      t = value;
    } else if (key === 'v1') {
      if (!/^[0-9a-fA-F]{64}$/.test(value)) return { ok: false, reason: 'malformed' };
      candidates.push(Buffer.from(value, 'hex'));
    }
    // other schemes (v0, future versions) are ignored, as signers add them over time
  }
  if (t === undefined || candidates.length === 0) return { ok: false, reason: 'malformed' };
  const timestamp = Number(t);
  const raw = toBuffer(rawBody);
  let matched = false;
  for (const secret of secrets) {
    if (!secret) continue;
    const expected = hmac(raw, secret, t);
    // No early exit: every candidate is compared, in constant time each.
    for (const c of candidates) if (timingSafeEqual(expected, c)) matched = true;
  }
  if (!matched) return { ok: false, reason: 'mismatch' };
  // The time is checked after the signature, as the SDK does: 'stale' then
  // always means an event we did sign for, held up or signed by a skewed
  // clock — worth an operator's attention, unlike a forgery.
  const skewSeconds = Math.round(nowSeconds - timestamp);
  if (toleranceSeconds > 0 && Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'stale', skewSeconds };
  return { ok: true, timestamp };
}

const knownTypes: ReadonlySet<string> = new Set(KNOWN_EVENT_TYPES);

/**
 * Parse a verified webhook body. Throws ValidationError when it is not JSON or
 * not an event envelope, or when a known type carries malformed data; an
 * unknown type comes back as a generic event with `known: false`.
 */
export function parseEvent(rawBody: string | Buffer): ProviderEvent {
  let json: unknown;
  try {
    json = JSON.parse(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8'));
  } catch {
    throw new ValidationError([{ path: '', message: 'body is not JSON' }], 'webhook event');
  }
  const env = eventEnvelopeSchema.safeParse(json);
  if (!env.success) throw new ValidationError(toIssues(env.error), 'webhook event');
  if (!knownTypes.has(env.data.type)) {
    const { id, type, timestamp, api_version, data } = env.data;
    return { id, type, timestamp, api_version, data, known: false };
  }
  const known = knownEventSchema.safeParse({ ...env.data, known: true });
  if (!known.success) throw new ValidationError(toIssues(known.error), `webhook event ${env.data.type}`);
  return known.data;
}
