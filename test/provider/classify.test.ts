import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/lib/errors.ts';
import { classifyFailure } from '../../src/provider/classify.ts';
import { ProviderError, isRetryableStatus } from '../../src/provider/errors.ts';

const http = (status: number, o: { ambiguous?: boolean; retryAfterMs?: number } = {}) =>
  new ProviderError({ kind: 'http', status, providerMessage: 'x', retryable: isRetryableStatus(status), ambiguous: o.ambiguous ?? false, retryAfterMs: o.retryAfterMs });

describe('one classification of failed provider calls, for every sender', () => {
  it.each([
    [502, 'ambiguous'],
    [503, 'ambiguous'],
    [504, 'ambiguous'],
    [500, 'ambiguous'],
    [429, 'retryable'],
    [408, 'retryable'],
    [401, 'account'],
    [403, 'account'],
    [400, 'refused'],
    [404, 'refused'],
    [422, 'refused'],
  ] as const)('HTTP %i is %s', (status, kind) => {
    expect(classifyFailure(http(status)).kind).toBe(kind);
  });

  it('keeps the Retry-After of a refusal for now', () => {
    expect(classifyFailure(http(429, { retryAfterMs: 1_500 }))).toEqual({ kind: 'retryable', message: 'provider HTTP 429: x', retryAfterMs: 1_500 });
  });

  it('anything the provider may have acted on is ambiguous, whatever its status', () => {
    expect(classifyFailure(http(503, { ambiguous: true })).kind).toBe('ambiguous');
    expect(classifyFailure(new ProviderError({ kind: 'timeout', providerMessage: 'no answer', retryable: true, ambiguous: true })).kind).toBe('ambiguous');
    expect(classifyFailure(new Error('aborted')).kind).toBe('ambiguous');
  });

  it('any 5xx is ambiguous (a gateway may answer after the provider accepted) and a sign of an outage', () => {
    for (const status of [500, 502, 503, 504, 520]) expect(classifyFailure(http(status, { retryAfterMs: 2_000 }))).toMatchObject({ kind: 'ambiguous', outage: true, retryAfterMs: 2_000 });
  });

  it('refusals of the account rather than of a message: 401, 403, a line not leased, fast track not allowed; with the URL the provider gave', () => {
    const e = (status: number, error: string, extra: Record<string, unknown> = {}) =>
      new ProviderError({ kind: 'http', status, providerMessage: error, retryable: false, ambiguous: false, details: { error, status, ...extra } });
    expect(classifyFailure(e(403, 'Agreement not accepted', { agreement_url: 'https://contiguity.com/agreements/imessage' }))).toMatchObject({
      kind: 'account',
      url: 'https://contiguity.com/agreements/imessage',
    });
    expect(classifyFailure(e(401, 'Unauthorized')).kind).toBe('account');
    expect(classifyFailure(e(400, 'from +14155550199 is not leased by this account')).kind).toBe('account');
    expect(classifyFailure(e(400, 'Fast track is not allowed on this account')).kind).toBe('account');
    // A refusal of this recipient stays the recipient's.
    expect(classifyFailure(e(400, '+14155550111 cannot receive iMessages and no SMS fallback was requested')).kind).toBe('refused');
  });

  it('a network failure before the request went out is an outage; our own invalid input is refused', () => {
    expect(classifyFailure(new ProviderError({ kind: 'network', providerMessage: 'ECONNREFUSED', retryable: true, ambiguous: false })).kind).toBe('unavailable');
    expect(classifyFailure(new ValidationError([{ path: 'to', message: 'not a phone number' }])).kind).toBe('refused');
  });
});
