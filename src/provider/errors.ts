import { BluecastError } from '../lib/errors.ts';

export type ProviderErrorKind = 'http' | 'timeout' | 'network';

export interface ProviderErrorInit {
  kind: ProviderErrorKind;
  providerMessage: string;
  status?: number;
  requestId?: string;
  retryable: boolean;
  /**
   * True when the provider may have acted although we have no usable answer
   * (timeout after the request went out, connection dropped mid-request, a
   * 2xx we could not read). A caller that must not duplicate a send retries
   * only errors where this is false.
   */
  ambiguous: boolean;
  retryAfterMs?: number;
  /**
   * The error answer's data kept whole: `error`, `status` and any extra field
   * the provider adds (`agreement_url`...), for whoever must show or act on it.
   */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The one error the provider client raises for anything that went wrong on
 * the wire or at the provider. Retryability is decided once, where the error
 * is built (see classify* in http.ts), never by the callers.
 */
export class ProviderError extends BluecastError {
  override readonly name = 'ProviderError';
  readonly kind: ProviderErrorKind;
  readonly status?: number;
  readonly providerMessage: string;
  readonly requestId?: string;
  readonly retryable: boolean;
  readonly ambiguous: boolean;
  readonly retryAfterMs?: number;
  readonly details?: Record<string, unknown>;

  constructor(init: ProviderErrorInit) {
    const where = init.status !== undefined ? `HTTP ${init.status}` : init.kind;
    super(`provider ${where}: ${init.providerMessage}`, init.cause !== undefined ? { cause: init.cause } : undefined);
    this.kind = init.kind;
    this.status = init.status;
    this.providerMessage = init.providerMessage;
    this.requestId = init.requestId;
    this.retryable = init.retryable;
    this.ambiguous = init.ambiguous;
    this.retryAfterMs = init.retryAfterMs;
    if (init.details !== undefined) this.details = init.details;
  }
}

/** Statuses worth another try: rate limiting and the provider's own failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}
