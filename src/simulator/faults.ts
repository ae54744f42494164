import { z } from 'zod';
import type { GetStatusMode } from './harsh-answers.ts';
import { INCOMING_SHAPES, type IncomingShape } from './incoming-shapes.ts';

export const ACCOUNT_REFUSALS = [401, 403, 'line-not-leased', 'fast-track'] as const;
export type AccountRefusalFault = (typeof ACCOUNT_REFUSALS)[number] | null;

/** Failures the simulator injects into API requests (never into /__sim/*). */
export interface Faults {
  /** Extra ms before each answer. */
  latencyMs: number;
  /** Share of requests answered `errorStatus` without acting. */
  errorRate: number;
  /**
   * What those answers are: 500 by default (the client cannot tell it did not
   * act: ambiguous), 429 for a refusal that proves nothing was done.
   */
  errorStatus: 429 | 500 | 502 | 503;
  /** While now is in [from, until) (epoch ms) every request gets 503. */
  outage: { from: number; until: number } | null;
  /** Share of requests whose connection is destroyed without an answer. */
  dropConnections: number;
  /**
   * 'before': dropped before acting (nothing sent); 'after': the send is
   * accepted and recorded, then the answer is lost — the ambiguous case.
   */
  dropPhase: 'before' | 'after';
  /**
   * Share of requests that the provider handles (a send is accepted and
   * recorded) but whose answer a gateway in front replaces with a 502 (POSTs
   * only, so history stays readable): what a
   * client sees cannot tell it from a 502 before the provider acted.
   */
  gatewayErrorAfter: number;
  /**
   * Sends refused for the account, with the documented envelope: 401 (the
   * key is wrong or revoked), 403 (the iMessage agreement is not accepted; the
   * data carries `agreement_url`, as the SDK's error data has it),
   * 'line-not-leased' (400: the line is not leased to the account),
   * 'fast-track' (403 to fast_track sends: no entitlement). See refusals.ts.
   */
  accountRefusal: AccountRefusalFault;
  /**
   * The id an SMS fallback's delivery report carries. The contract does not
   * say: 'same' (default) reports the iMessage send's message_id, 'own' gives
   * the fallback SMS an id of its own that no send answer ever named.
   */
  fallbackSmsId: 'same' | 'own';
  /**
   * Whether a pacing 429 says when to come back. The contract names no
   * header: 'seconds' (default) sends `Retry-After` in whole seconds,
   * 'absent' sends none, and the client must back off on its own.
   */
  retryAfter: 'seconds' | 'absent';
  /** The shape of the incoming events sent (incoming-shapes.ts): 'documented' by default. */
  incomingShape: IncomingShape;
  /**
   * Sends naming a line (`from`) go out on another line of the pool, and a
   * `numbers.substitution` event says so: 'with-id' names the message,
   * 'null-id' gives `message_id: null` (the SDK allows it). 'none' by default.
   */
  lineSubstitution: 'none' | 'with-id' | 'null-id';
  /**
   * Webhooks signed with a timestamp this many seconds in the past (a
   * provider clock behind ours, or events held up before signing). 0 by default.
   */
  signatureSkewSeconds: number;
  /** The values of `get`'s status (harsh-answers.ts): 'contract' by default. */
  getStatus: GetStatusMode;
  /** Every history page starts with an entry off the documented schema. */
  historyOffSchema: boolean;
  /**
   * The contract names no limit on availability lookups: null (default)
   * answers them all; a rate refuses lookups over it (account-wide) with 429
   * and, per `retryAfter`, a Retry-After in whole seconds.
   */
  availabilityLimit: { ratePerSecond: number; burst: number } | null;
}

export const NO_FAULTS: Faults = { latencyMs: 0, errorRate: 0, errorStatus: 500, outage: null, dropConnections: 0, dropPhase: 'before', gatewayErrorAfter: 0, accountRefusal: null, fallbackSmsId: 'same', retryAfter: 'seconds', incomingShape: 'documented', lineSubstitution: 'none', signatureSkewSeconds: 0, getStatus: 'contract', historyOffSchema: false, availabilityLimit: null };

const instant = z.union([z.number(), z.string().transform((s, ctx) => {
  const t = Date.parse(s);
  if (Number.isNaN(t)) {
    ctx.addIssue({ code: 'custom', message: 'must be epoch ms or an ISO date' });
    return z.NEVER;
  }
  return t;
})]);

/** Body of POST /__sim/faults (and setFaults): `outageMs` is an outage starting now. */
export const faultsInputSchema = z.strictObject({
  latencyMs: z.number().min(0).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  errorStatus: z.union([z.literal(429), z.literal(500), z.literal(502), z.literal(503)]).optional(),
  outage: z.object({ from: instant, until: instant }).nullable().optional(),
  outageMs: z.number().min(0).optional(),
  dropConnections: z.number().min(0).max(1).optional(),
  dropPhase: z.enum(['before', 'after']).optional(),
  gatewayErrorAfter: z.number().min(0).max(1).optional(),
  accountRefusal: z.literal(ACCOUNT_REFUSALS).nullable().optional(),
  fallbackSmsId: z.enum(['same', 'own']).optional(),
  retryAfter: z.enum(['seconds', 'absent']).optional(),
  incomingShape: z.enum(INCOMING_SHAPES).optional(),
  lineSubstitution: z.enum(['none', 'with-id', 'null-id']).optional(),
  signatureSkewSeconds: z.number().int().min(0).max(7 * 86_400).optional(),
  getStatus: z.enum(['contract', 'harsh']).optional(),
  historyOffSchema: z.boolean().optional(),
  availabilityLimit: z.strictObject({ ratePerSecond: z.number().positive(), burst: z.number().int().min(1) }).nullable().optional(),
});
export type FaultsInput = z.input<typeof faultsInputSchema>;

export function mergeFaults(current: Faults, input: FaultsInput, now = Date.now()): Faults {
  const f = faultsInputSchema.parse(input);
  const next: Faults = { ...current };
  if (f.latencyMs !== undefined) next.latencyMs = f.latencyMs;
  if (f.errorRate !== undefined) next.errorRate = f.errorRate;
  if (f.errorStatus !== undefined) next.errorStatus = f.errorStatus;
  if (f.outage !== undefined) next.outage = f.outage;
  if (f.outageMs !== undefined) next.outage = { from: now, until: now + f.outageMs };
  if (f.dropConnections !== undefined) next.dropConnections = f.dropConnections;
  if (f.dropPhase !== undefined) next.dropPhase = f.dropPhase;
  if (f.gatewayErrorAfter !== undefined) next.gatewayErrorAfter = f.gatewayErrorAfter;
  if (f.accountRefusal !== undefined) next.accountRefusal = f.accountRefusal;
  if (f.fallbackSmsId !== undefined) next.fallbackSmsId = f.fallbackSmsId;
  if (f.retryAfter !== undefined) next.retryAfter = f.retryAfter;
  if (f.incomingShape !== undefined) next.incomingShape = f.incomingShape;
  if (f.lineSubstitution !== undefined) next.lineSubstitution = f.lineSubstitution;
  if (f.signatureSkewSeconds !== undefined) next.signatureSkewSeconds = f.signatureSkewSeconds;
  if (f.getStatus !== undefined) next.getStatus = f.getStatus;
  if (f.historyOffSchema !== undefined) next.historyOffSchema = f.historyOffSchema;
  if (f.availabilityLimit !== undefined) next.availabilityLimit = f.availabilityLimit;
  return next;
}
