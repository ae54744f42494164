import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/lib/errors.ts';
import { classifyFailure } from '../../src/provider/classify.ts';
import { ProviderError, isRetryableStatus } from '../../src/provider/errors.ts';

const http = (status: number, o: { ambiguous?: boolean; retryAfterMs?: number } = {}) =>
  new ProviderError({ kind: 'http', status, providerMessage: 'x', retryable: isRetryableStatus(status), ambiguous: o.ambiguous ?? false, retryAfterMs: o.retryAfterMs });

describe('one classification of failed provider calls, for every sender', () => {
  it.each([
    [502, 'unavailable'],
    [503, 'unavailable'],
    [504, 'unavailable'],
    [429, 'retryable'],
    [500, 'retryable'],
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

  it('a network failure before the request went out is an outage; our own invalid input is refused', () => {
    expect(classifyFailure(new ProviderError({ kind: 'network', providerMessage: 'ECONNREFUSED', retryable: true, ambiguous: false })).kind).toBe('unavailable');
    expect(classifyFailure(new ValidationError([{ path: 'to', message: 'not a phone number' }])).kind).toBe('refused');
  });
});
