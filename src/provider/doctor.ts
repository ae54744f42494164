import { classifyFailure } from './classify.ts';
import type { ImessageClient } from './client.ts';
import { ProviderError } from './errors.ts';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DoctorInput {
  client?: Pick<ImessageClient, 'availability'>;
  /** Provider base URL (for the clock-skew probe's Date header). */
  baseUrl: string;
  apiKey?: string;
  /** Lines of the campaign being checked (sender lines, fallback line). */
  lines: string[];
  fastTrack: boolean;
  publicUrl?: string;
  /** Largest clock difference that passes, ms. */
  maxSkewMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

const PROBE_NUMBER = '+14155552671';

/**
 * The checks of `bluecast doctor`, one line each. Only what the API can tell
 * is asked of it: the contract has no call that lists leases or entitlements,
 * so lines are checked as iMessage-capable numbers (availability) and a
 * fast-track campaign gets a reminder rather than a guess.
 */
export async function runDoctor(i: DoctorInput): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  const doFetch = i.fetch ?? fetch;
  const now = i.now ?? Date.now;
  if (!i.apiKey || !i.client) {
    out.push({ name: 'api key', ok: false, detail: 'CONTIGUITY_API_KEY is not set' });
  } else {
    // One cheap authenticated call: availability of a number.
    out.push(await keyCheck(i.client, i.lines[0] ?? PROBE_NUMBER));
    for (const line of i.lines) out.push(await lineCheck(i.client, line));
  }
  if (i.fastTrack) {
    out.push({ name: 'fast track', ok: true, detail: 'the campaign uses fast_track: the account needs the Fast Track entitlement (a 403 would block the campaign)' });
  }
  out.push(await skewCheck(doFetch, i.baseUrl, now, i.maxSkewMs ?? 5_000));
  out.push(await publicUrlCheck(doFetch, i.publicUrl));
  return out;
}

async function keyCheck(client: Pick<ImessageClient, 'availability'>, number: string): Promise<DoctorCheck> {
  try {
    await client.availability(number, { retry: 'all' });
    return { name: 'api key', ok: true, detail: 'accepted by the provider' };
  } catch (err) {
    const f = classifyFailure(err);
    if (f.kind === 'account') return { name: 'api key', ok: false, detail: `refused: ${f.message}${f.url ? ` (${f.url})` : ''}` };
    // Any other 4xx is an answer to an authenticated request.
    if (err instanceof ProviderError && err.status !== undefined && err.status < 500) return { name: 'api key', ok: true, detail: `accepted (the probe itself answered ${err.status})` };
    return { name: 'api key', ok: false, detail: `provider not reachable: ${f.message}` };
  }
}

/** One line as `bluecast doctor` checks it (the planner asks it too: src/planner/line-problems.ts). */
export async function lineCheck(client: Pick<ImessageClient, 'availability'>, line: string): Promise<DoctorCheck> {
  try {
    const { available } = await client.availability(line, { retry: 'all' });
    return { name: `line ${line}`, ok: available, detail: available ? 'iMessage-capable' : 'not iMessage-capable: is it leased and activated?' };
  } catch (err) {
    return { name: `line ${line}`, ok: false, detail: classifyFailure(err).message };
  }
}

async function skewCheck(doFetch: typeof fetch, baseUrl: string, now: () => number, maxSkewMs: number): Promise<DoctorCheck> {
  try {
    const before = now();
    const res = await doFetch(baseUrl, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
    const after = now();
    const date = res.headers.get('date');
    if (!date) return { name: 'clock', ok: true, detail: 'the provider sent no Date header; not checked' };
    // A Date header has whole seconds: allow for that on top of the round trip.
    const skew = Date.parse(date) - (before + after) / 2;
    const ok = Math.abs(skew) <= maxSkewMs + 1_000 + (after - before) / 2;
    return { name: 'clock', ok, detail: `${skew >= 0 ? '+' : ''}${Math.round(skew / 1000)} s from the provider's clock${ok ? '' : ': fix the system clock (history matching and webhook signatures depend on it)'}` };
  } catch (err) {
    return { name: 'clock', ok: false, detail: `could not ask the provider: ${(err as Error).message}` };
  }
}

async function publicUrlCheck(doFetch: typeof fetch, publicUrl: string | undefined): Promise<DoctorCheck> {
  if (!publicUrl) return { name: 'webhook receiver', ok: false, detail: 'PUBLIC_URL is not set: the provider cannot reach the webhook receiver' };
  const url = `${publicUrl.replace(/\/+$/, '')}/webhooks/contiguity`;
  try {
    // An unsigned POST: a running receiver refuses it with 401 (or 503 without a secret).
    const res = await doFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(10_000) });
    if (res.status === 401) return { name: 'webhook receiver', ok: true, detail: `${url} answers (unsigned request refused, as it should be)` };
    if (res.status === 503) return { name: 'webhook receiver', ok: false, detail: `${url} answers 503: WEBHOOK_SECRET is not set on the server` };
    return { name: 'webhook receiver', ok: false, detail: `${url} answered ${res.status}: not bluecast's receiver?` };
  } catch (err) {
    return { name: 'webhook receiver', ok: false, detail: `${url} not reachable: ${(err as Error).message}` };
  }
}
