import { ValidationError } from '../lib/errors.ts';
import { ProviderError } from './errors.ts';

/**
 * What a failed provider call means for the message it carried, decided in
 * one place for every sender (the dispatcher, conversation care):
 * - unavailable: the provider as a whole cannot take requests (502/503/504, an
 *   outage, nothing listening) and surely did not act: not the message's fault;
 * - retryable: refused for now (429, another 5xx), surely not sent;
 * - ambiguous: the provider may have acted (timeout after the request went
 *   out, a dropped connection, our own abort, an error we cannot read): never
 *   resend without looking at its history first;
 * - account: the account or its credentials were refused (401/403): every
 *   message of the campaign would be, not only this one;
 * - refused: refused for good (another 4xx), or our own input refused before
 *   any request (ValidationError).
 * Today `account` is handled as `refused` by every sender; it is named so that
 * blocking a campaign on it needs no new classification.
 */
export type FailureKind = 'unavailable' | 'retryable' | 'ambiguous' | 'account' | 'refused';

export interface Failure {
  kind: FailureKind;
  message: string;
  /** The provider's Retry-After, when it sent one. */
  retryAfterMs?: number;
}

export function classifyFailure(err: unknown): Failure {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ValidationError) return { kind: 'refused', message };
  if (!(err instanceof ProviderError) || err.ambiguous) return { kind: 'ambiguous', message };
  const retryAfterMs = err.retryAfterMs;
  if (err.status === undefined ? err.kind === 'network' || err.kind === 'timeout' : err.status === 502 || err.status === 503 || err.status === 504) {
    return { kind: 'unavailable', message, retryAfterMs };
  }
  if (err.retryable) return { kind: 'retryable', message, retryAfterMs };
  if (err.status === 401 || err.status === 403) return { kind: 'account', message };
  return { kind: 'refused', message };
}
