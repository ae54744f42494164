import type { z } from 'zod';
import type { Logger } from '../lib/logger.ts';
import { ProviderError, isRetryableStatus } from './errors.ts';
import { envelopeSchema } from './schemas.ts';
import { createWire, WireError, type WireResponse } from './wire.ts';
import { sleep } from '../lib/sleep.ts';
import { exponentialDelay } from '../lib/backoff.ts';

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the error goes back to the caller (who can reschedule). */
  maxRetryAfterMs?: number;
}

/**
 * 'all': retry whatever is retryable; 'safe': only what the provider surely did
 * not act on (ambiguous === false), so a send is never duplicated by a blind
 * retry; 'none': one attempt.
 */
export type RetryMode = 'all' | 'safe' | 'none';

export interface CallOptions {
  signal?: AbortSignal;
  retry?: RetryMode;
}

/** One HTTP attempt as it ended, for metrics: a thin observer, told after the fact. */
export interface AttemptRecord {
  op: string;
  durationMs: number;
  /** The HTTP status of an error answer (or of a 2xx that could not be read). */
  status?: number;
  /** 'ok', or the ProviderError kind: 'http' (an error answer), 'timeout', 'network'. */
  outcome: 'ok' | ProviderError['kind'];
}

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  retry: RetryPolicy;
  logger?: Logger;
  onAttempt?: (a: AttemptRecord) => void;
}

export interface RequestSpec<T> {
  /** Name for logs, e.g. "send". */
  op: string;
  method: 'GET' | 'POST';
  /** Path below the base URL, already percent-encoded, starting with "/". */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  data: z.ZodType<T>;
}

export interface Transport {
  request<T>(spec: RequestSpec<T>, call?: CallOptions): Promise<T>;
  /** Drop idle keep-alive connections. */
  close(): void;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 3, baseDelayMs: 250, maxDelayMs: 5_000, maxRetryAfterMs: 30_000 };

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Full jitter: uniform in [0, min(cap, base·2^attempt)] spreads synchronized retries apart. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  return exponentialDelay(attempt, { baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs }, 'full', random);
}

function shouldRetry(err: ProviderError, mode: RetryMode): boolean {
  if (mode === 'none' || !err.retryable) return false;
  return mode === 'all' || !err.ambiguous;
}

/**
 * What an error answer says, read as the SDK reads it: the documented
 * envelope's `data: { error, status, ...extra }`, else a top-level
 * `{ message, status }` (an occasional shape), else the text itself. The data
 * is kept whole (`details`) so that fields such as `agreement_url` survive.
 */
export function readErrorBody(text: string, fallbackStatus: number): { message: string; status: number; requestId?: string; details?: Record<string, unknown> } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON (a proxy's HTML page, an empty body): keep the text
    return { message: text.slice(0, 300) || `HTTP ${fallbackStatus}`, status: fallbackStatus };
  }
  const obj = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
  const requestId = typeof obj.id === 'string' ? obj.id : undefined;
  const data = obj.data !== null && typeof obj.data === 'object' && !Array.isArray(obj.data) ? (obj.data as Record<string, unknown>) : undefined;
  const statusOf = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 100 && v < 600 ? v : undefined);
  if (data && typeof data.error === 'string') {
    return { message: data.error, status: statusOf(data.status) ?? fallbackStatus, requestId, details: data };
  }
  if (typeof obj.message === 'string') {
    const { data: _d, ...rest } = obj;
    return { message: obj.message, status: statusOf(obj.status) ?? fallbackStatus, requestId, details: data ? { ...rest, ...data } : rest };
  }
  return { message: text.slice(0, 300) || `HTTP ${fallbackStatus}`, status: fallbackStatus, requestId, details: data };
}

function errorFromAnswer(status: number, text: string, retryAfter: string | null): ProviderError {
  const e = readErrorBody(text, status);
  return new ProviderError({
    kind: 'http',
    // The HTTP status decides (a proxy's 502 may carry a body saying otherwise).
    status,
    providerMessage: e.message,
    requestId: e.requestId,
    retryable: isRetryableStatus(status),
    // A 4xx is the provider deciding not to act. A 5xx proves nothing: a
    // gateway may answer 502 after the provider accepted the request.
    ambiguous: status >= 500,
    retryAfterMs: parseRetryAfter(retryAfter),
    details: e.details,
  });
}

/**
 * The one place the client talks HTTP: auth header, timeout, status checked
 * before the body is parsed, envelope and data validated, retries.
 */
export function createTransport(opts: TransportOptions): Transport {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const wire = createWire();
  const getHeaders = { authorization: `Token ${opts.apiKey}`, accept: 'application/json' };
  const postHeaders = { ...getHeaders, 'content-type': 'application/json' };

  async function attempt<T>(spec: RequestSpec<T>, signal?: AbortSignal): Promise<T> {
    // One controller per attempt, fed by our timer and the caller's signal; both are
    // removed when the attempt ends so a long-lived caller signal accumulates nothing.
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, opts.timeoutMs);
    const onCallerAbort = () => ctl.abort(signal?.reason);
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    if (signal?.aborted) ctl.abort(signal.reason);
    const started = performance.now();
    try {
      const data = await attemptWith(spec, ctl.signal, () => timedOut, signal);
      opts.onAttempt?.({ op: spec.op, durationMs: performance.now() - started, outcome: 'ok' });
      return data;
    } catch (err) {
      if (err instanceof ProviderError) opts.onAttempt?.({ op: spec.op, durationMs: performance.now() - started, status: err.status, outcome: err.kind });
      throw err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  async function attemptWith<T>(spec: RequestSpec<T>, combined: AbortSignal, timedOut: () => boolean, signal?: AbortSignal): Promise<T> {
    const qs = spec.query && Object.keys(spec.query).length ? `?${new URLSearchParams(spec.query).toString()}` : '';
    const url = new URL(`${base}${spec.path}${qs}`);
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);

    let res: WireResponse;
    try {
      res = await wire.request(spec.method, url, body === undefined ? getHeaders : postHeaders, body, combined);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const w = err instanceof WireError ? err : new WireError(String(err), undefined, true, undefined, { cause: err });
      // An error status whose body was cut off is still an answer.
      if (w.status !== undefined && (w.status < 200 || w.status >= 300)) throw errorFromAnswer(w.status, '', null);
      if (timedOut()) {
        throw new ProviderError({
          kind: 'timeout',
          status: w.status,
          providerMessage: `no answer within ${opts.timeoutMs} ms${w.written ? '' : ' (no connection was made)'}`,
          retryable: true,
          ambiguous: w.written,
          cause: err,
        });
      }
      throw new ProviderError({
        kind: 'network',
        status: w.status,
        providerMessage: w.code ? `${w.code}: ${w.message}` : w.message,
        retryable: true,
        // Once a connection was made, the request may have reached the provider.
        ambiguous: w.written,
        cause: err,
      });
    }
    const retryAfter = typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : null;
    if (res.status < 200 || res.status >= 300) throw errorFromAnswer(res.status, res.body, retryAfter);
    const text = res.body;

    // A 2xx we cannot read: the provider did act, we just do not know the result.
    const unreadable = (why: string, requestId?: string): never => {
      throw new ProviderError({ kind: 'http', status: res.status, providerMessage: `unexpected answer: ${why}`, requestId, retryable: false, ambiguous: true });
    };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return unreadable('body is not JSON');
    }
    const env = envelopeSchema.safeParse(json);
    if (!env.success) return unreadable('not a response envelope');
    if (env.data.object === 'error') {
      // An error envelope under a 2xx: its own status decides.
      const e = readErrorBody(text, res.status);
      throw new ProviderError({
        kind: 'http',
        status: e.status,
        providerMessage: e.message,
        requestId: env.data.id,
        retryable: isRetryableStatus(e.status),
        ambiguous: e.status >= 500 || e.status < 400,
        details: e.details,
      });
    }
    const data = spec.data.safeParse(env.data.data);
    if (!data.success) {
      return unreadable(data.error.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`).join('; '), env.data.id);
    }
    return data.data;
  }

  return {
    async request<T>(spec: RequestSpec<T>, call: CallOptions = {}): Promise<T> {
      const mode = call.retry ?? 'all';
      const maxRetryAfter = opts.retry.maxRetryAfterMs ?? DEFAULT_RETRY.maxRetryAfterMs!;
      for (let n = 0; ; n++) {
        try {
          return await attempt(spec, call.signal);
        } catch (err) {
          if (!(err instanceof ProviderError) || n >= opts.retry.maxRetries || !shouldRetry(err, mode)) throw err;
          if (err.retryAfterMs !== undefined && err.retryAfterMs > maxRetryAfter) throw err;
          const delay = err.retryAfterMs ?? backoffDelay(n, opts.retry);
          // A 429 is the provider pacing us, routine when a line runs at its rate; faults are worth a warning.
          const level = err.status === 429 ? 'debug' : 'warn';
          opts.logger?.[level]({ op: spec.op, attempt: n + 1, delayMs: delay, status: err.status, kind: err.kind, reason: err.providerMessage }, 'provider call failed; retrying');
          await sleep(delay, call.signal);
        }
      }
    },
    close: () => wire.close(),
  };
}
