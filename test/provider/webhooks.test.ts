import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/lib/errors.ts';
import { parseEvent, signatureHeader, verifySignature } from '../../src/provider/webhooks.ts';
import { webhookExamples, webhookValidator } from './openapi.ts';

const SECRET = 'whsec_test_0123456789abcdef';
const OLD_SECRET = 'whsec_old_fedcba9876543210';
const BODY = '{"id":"evt_1","type":"imessage.incoming","timestamp":1726502400,"api_version":"v2025.9.7","data":{"from":"+15551234567","to":"+15559876543","body":"Hi ✓","timestamp":1726502400,"attachments":[]}}';
const T = 1_726_502_400;

/** The provider's scheme, computed independently of the code under test. */
const expectedV1 = (body: string | Buffer, secret: string, t: number) =>
  createHmac('sha256', secret).update(Buffer.concat([Buffer.from(`${t}.`), Buffer.isBuffer(body) ? body : Buffer.from(body)])).digest('hex');

describe('signatureHeader', () => {
  it('is t=<seconds>,v1=hex(HMAC-SHA256(secret, t + "." + raw body))', () => {
    expect(signatureHeader(BODY, SECRET, T)).toBe(`t=${T},v1=${expectedV1(BODY, SECRET, T)}`);
    // fixed vector, so that a change of scheme on both sides cannot go unnoticed
    expect(signatureHeader('{}', 'whsec_abc', 1000)).toBe('t=1000,v1=98a1928daba8018f8d66b7c9d1a28b56a2582a23722b07bc005287106ba33eb1');
    expect(expectedV1('{}', 'whsec_abc', 1000)).toBe('98a1928daba8018f8d66b7c9d1a28b56a2582a23722b07bc005287106ba33eb1');
  });

  it('signs bytes, not characters: a Buffer body gives the same header as its UTF-8 string', () => {
    expect(signatureHeader(Buffer.from(BODY, 'utf8'), SECRET, T)).toBe(signatureHeader(BODY, SECRET, T));
  });
});

describe('verifySignature', () => {
  const header = `t=${T},v1=${expectedV1(BODY, SECRET, T)}`;

  it('accepts the correct signature (string or Buffer body) and returns its timestamp', () => {
    expect(verifySignature(BODY, header, [SECRET], 300, T)).toEqual({ ok: true, timestamp: T });
    expect(verifySignature(Buffer.from(BODY), header, [SECRET], 300, T + 10)).toEqual({ ok: true, timestamp: T });
  });

  it('rejects a tampered body, even by one byte or by whitespace of re-serialised JSON', () => {
    expect(verifySignature(BODY.replace('Hi', 'Ho'), header, [SECRET], 300, T)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(JSON.stringify(JSON.parse(BODY), null, 1), header, [SECRET], 300, T)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(`${BODY} `, header, [SECRET], 300, T)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a signature made with another secret', () => {
    expect(verifySignature(BODY, `t=${T},v1=${expectedV1(BODY, 'whsec_wrong_secret', T)}`, [SECRET], 300, T)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects a changed timestamp (it is part of what is signed)', () => {
    expect(verifySignature(BODY, `t=${T + 1},v1=${expectedV1(BODY, SECRET, T)}`, [SECRET], 300, T)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects stale and future timestamps outside the tolerance, accepts the edges', () => {
    const h = (t: number) => `t=${t},v1=${expectedV1(BODY, SECRET, t)}`;
    expect(verifySignature(BODY, h(T - 301), [SECRET], 300, T)).toEqual({ ok: false, reason: 'stale', skewSeconds: 301 });
    expect(verifySignature(BODY, h(T + 301), [SECRET], 300, T)).toEqual({ ok: false, reason: 'stale', skewSeconds: -301 });
    expect(verifySignature(BODY, h(T - 300), [SECRET], 300, T).ok).toBe(true);
    expect(verifySignature(BODY, h(T + 300), [SECRET], 300, T).ok).toBe(true);
    expect(verifySignature(BODY, h(T - 40), [SECRET], 30, T)).toEqual({ ok: false, reason: 'stale', skewSeconds: 40 });
    // 0 turns the time check off: any age is accepted.
    expect(verifySignature(BODY, h(T - 86_400), [SECRET], 0, T).ok).toBe(true);
  });

  it('checks the signature before the time: an old forgery is a mismatch, not a stale event', () => {
    expect(verifySignature(BODY, `t=${T - 3600},v1=${expectedV1(BODY, 'whsec_other', T - 3600)}`, [SECRET], 300, T)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('uses the current clock by default', () => {
    const now = Math.floor(Date.now() / 1000);
    expect(verifySignature(BODY, signatureHeader(BODY, SECRET, now), [SECRET]).ok).toBe(true);
    expect(verifySignature(BODY, signatureHeader(BODY, SECRET, now - 3600), [SECRET])).toMatchObject({ ok: false, reason: 'stale' });
  });

  it('reports a missing header', () => {
    expect(verifySignature(BODY, undefined, [SECRET], 300, T)).toEqual({ ok: false, reason: 'missing' });
    expect(verifySignature(BODY, '  ', [SECRET], 300, T)).toEqual({ ok: false, reason: 'missing' });
  });

  it.each([
    ['no v1', `t=${T}`],
    ['no t', `v1=${expectedV1(BODY, SECRET, T)}`],
    ['not key=value', 'garbage'],
    ['short hex', `t=${T},v1=abcd`],
    ['non-hex', `t=${T},v1=${'z'.repeat(64)}`],
    ['non-numeric t', `t=yesterday,v1=${expectedV1(BODY, SECRET, T)}`],
    ['two t', `t=${T},t=${T},v1=${expectedV1(BODY, SECRET, T)}`],
    ['empty key', `=${T},v1=${expectedV1(BODY, SECRET, T)}`],
  ])('rejects a malformed header (%s)', (_name, h) => {
    expect(verifySignature(BODY, h, [SECRET], 300, T)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('tolerates spaces and unknown schemes, and accepts when any of several v1 matches', () => {
    const good = expectedV1(BODY, SECRET, T);
    expect(verifySignature(BODY, `t=${T}, v0=abc, v1=${'0'.repeat(64)}, v1=${good}`, [SECRET], 300, T).ok).toBe(true);
  });

  it('during a rotation accepts the old and the new secret; after it, only the new', () => {
    const byOld = `t=${T},v1=${expectedV1(BODY, OLD_SECRET, T)}`;
    const byNew = `t=${T},v1=${expectedV1(BODY, SECRET, T)}`;
    expect(verifySignature(BODY, byOld, [SECRET, OLD_SECRET], 300, T).ok).toBe(true);
    expect(verifySignature(BODY, byNew, [SECRET, OLD_SECRET], 300, T).ok).toBe(true);
    expect(verifySignature(BODY, byOld, [SECRET], 300, T)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(BODY, byNew, [], 300, T)).toEqual({ ok: false, reason: 'mismatch' });
  });
});

describe('parseEvent', () => {
  it('parses every example of wh.json as a known event of its type (examples valid per the repaired schema)', () => {
    const examples = webhookExamples();
    expect(examples.length).toBeGreaterThanOrEqual(8);
    for (const { type, example } of examples) {
      expect(webhookValidator(type)(example)).toBe(true);
      const e = parseEvent(JSON.stringify(example));
      expect(e.known).toBe(true);
      expect(e.type).toBe(type);
      expect(e.id).toBe((example as { id: string }).id);
    }
  });

  it('documents a defect of wh.json: as published, its own examples fail their event schema', () => {
    // If this starts failing, the provider fixed wh.json: drop repairAllOfAdditionalProperties.
    for (const { type, example } of webhookExamples()) expect(webhookValidator(type, true)(example)).toBe(false);
  });

  it('narrows on type: an incoming iMessage gives from (the person) and to (our line)', () => {
    const e = parseEvent(Buffer.from(BODY));
    if (!e.known || e.type !== 'imessage.incoming') throw new Error('expected imessage.incoming');
    expect(e.data.from).toBe('+15551234567');
    expect(e.data.to).toBe('+15559876543');
    expect(e.data.body).toBe('Hi ✓');
    expect(e.data.attachments).toEqual([]);
  });

  it('keeps an unknown type as a generic event with its data', () => {
    const e = parseEvent('{"id":"evt_9","type":"imessage.delivery.confirmed","timestamp":1726502400,"api_version":"v9","data":{"message_id":"imsg_1"}}');
    expect(e).toEqual({ id: 'evt_9', type: 'imessage.delivery.confirmed', timestamp: 1726502400, api_version: 'v9', data: { message_id: 'imsg_1' }, known: false });
  });

  it('keeps fields the provider adds to a known type', () => {
    const e = parseEvent('{"id":"evt_2","type":"text.delivery.confirmed","timestamp":1,"api_version":"v","data":{"from":"+1","to":"+2","message_id":"m","timestamp":1,"carrier":"x"}}');
    expect(e.known && e.type === 'text.delivery.confirmed' && e.data.carrier).toBe('x');
  });

  it('throws ValidationError for a body that is not JSON, not an envelope, or a known type with bad data', () => {
    expect(() => parseEvent('not json')).toThrow(ValidationError);
    expect(() => parseEvent('[]')).toThrow(ValidationError);
    try {
      parseEvent('{"type":"x","timestamp":"soon","api_version":"v","data":{}}');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).issues.map((i) => i.path).sort()).toEqual(['id', 'timestamp']);
    }
    expect(() => parseEvent('{"id":"e","type":"text.delivery.failed","timestamp":1,"api_version":"v","data":{"from":"+1"}}')).toThrow(ValidationError);
  });
});
