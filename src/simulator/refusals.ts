import type { Faults } from './faults.ts';

/** What the provider answers when it refuses the account rather than the message. */
export interface AccountRefusal {
  status: number;
  error: string;
  /** Extra fields of the error's `data`, beside `error` and `status`. */
  extra?: Record<string, unknown>;
}

/**
 * The account-level refusal the `accountRefusal` fault gives a send, if any.
 * The contract documents the error envelope and the statuses 400/401/403 but
 * no codes or wording for these cases, so each is a choice:
 * - 401: the key is wrong or revoked;
 * - 403: the iMessage agreement is not accepted (`agreement_url` in the data,
 *   as the SDK's error data carries it);
 * - 'line-not-leased': the sending line is not (or no longer) leased to the
 *   account, a 400 like any refused `from` — only the wording says it is the
 *   account's setup and not this recipient;
 * - 'fast-track': fast_track sends refused for lack of the entitlement (403);
 *   sends without fast_track go through.
 */
export function accountRefusalFor(faults: Faults, send: { fast_track?: boolean }, line: string): AccountRefusal | undefined {
  switch (faults.accountRefusal) {
    case 401:
      return { status: 401, error: 'Unauthorized: invalid or revoked API key' };
    case 403: {
      const error = 'Forbidden: the iMessage agreement has not been accepted for this account';
      return { status: 403, error, extra: { agreement_url: 'https://contiguity.com/agreements/imessage' } };
    }
    case 'line-not-leased':
      return { status: 400, error: `Bad Request: the line ${line} is not leased to this account (its lease may have ended)` };
    case 'fast-track':
      return send.fast_track ? { status: 403, error: 'Forbidden: fast track is not allowed for this account (no Fast Track entitlement)' } : undefined;
    default:
      return undefined;
  }
}
