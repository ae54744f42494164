import { ValidationError } from '../lib/errors.ts';
import { ProviderError } from './errors.ts';

/**
 * What a failed provider call means for the message it carried, decided in
 * one place for every sender (the dispatcher, conversation care):
 * - unavailable: the provider could not be reached at all (nothing listening,
 *   no connection made, no request written): it surely did not act;
 * - retryable: refused for now with an answer that proves the provider did not
 *   act (429, 408): surely not sent, retried directly;
 * - ambiguous: the provider may have acted: a timeout after the request went
 *   out, a dropped connection, our own abort, an answer we cannot read, and any
 *   5xx (a gateway's 502 may come after the provider accepted the send). Never
 *   resend without its history showing it does not have the message. `outage`
 *   says the provider itself is failing (a 5xx), so senders also pause;
 * - account: the account, its credentials or its entitlements were refused
 *   (401, 403, a line not leased to it, fast track not allowed): every message
 *   of the campaign would be, so the campaign is blocked, not the recipient;
 * - refused: refused for good for this message (another 4xx), or our own input
 *   refused before any request (ValidationError).
 */
export type FailureKind = 'unavailable' | 'retryable' | 'ambiguous' | 'account' | 'refused';

export interface Failure {
  kind: FailureKind;
  message: string;
  /** The provider's Retry-After, when it sent one. */
  retryAfterMs?: number;
  /** An ambiguous failure that is also a sign of an outage (5xx): pause sends as for `unavailable`. */
  outage?: boolean;
  /** For `account`: a URL the provider gave to fix it (e.g. `agreement_url`). */
  url?: string;
}

/**
 * Refusals of the account's setup rather than of one message, whatever their
 * status: the provider words them in `data.error` (the contract documents no
 * codes for them).
 */
const ACCOUNT_REFUSAL = /not leased|not a leased|lease (?:has )?expired|fast[ _-]?track|entitlement|agreement/i;

export function isAccountRefusal(status: number | undefined, providerMessage: string): boolean {
  if (status === 401 || status === 403) return true;
  return status !== undefined && status >= 400 && status < 500 && status !== 429 && ACCOUNT_REFUSAL.test(providerMessage);
}

export function classifyFailure(err: unknown): Failure {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ValidationError) return { kind: 'refused', message };
  if (!(err instanceof ProviderError)) return { kind: 'ambiguous', message };
  const retryAfterMs = err.retryAfterMs;
  if (err.status !== undefined && err.status >= 500) return { kind: 'ambiguous', message, retryAfterMs, outage: true };
  if (err.ambiguous) return { kind: 'ambiguous', message };
  if (err.status === undefined) {
    // No answer and no request written (ambiguous ones are handled above).
    return err.kind === 'network' || err.kind === 'timeout' ? { kind: 'unavailable', message, retryAfterMs } : { kind: 'ambiguous', message };
  }
  if (err.retryable) return { kind: 'retryable', message, retryAfterMs };
  if (isAccountRefusal(err.status, err.providerMessage)) {
    const url = accountUrl(err.details);
    return url ? { kind: 'account', message, url } : { kind: 'account', message };
  }
  return { kind: 'refused', message };
}

/** The first URL-looking field of the error's data (`agreement_url`, or any `…_url`). */
function accountUrl(details: Record<string, unknown> | undefined): string | undefined {
  if (!details) return undefined;
  if (typeof details.agreement_url === 'string') return details.agreement_url;
  for (const [k, v] of Object.entries(details)) if (k.endsWith('url') && typeof v === 'string') return v;
  return undefined;
}
