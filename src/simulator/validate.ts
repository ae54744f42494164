/*
 * Request checks the way the provider makes them: loose where its OpenAPI is
 * loose (nullable fields), strict where it documents a rule. Hand-written
 * rather than zod so that the hot send path stays cheap.
 */
import type { SendInput } from './world.ts';

const E164 = /^\+[1-9]\d{6,14}$/;
const TAPBACKS = new Set(['love', 'like', 'dislike', 'laugh', 'emphasize', 'question']);
const WHEN = new Set(['imessage_unsupported', 'imessage_fails']);

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function httpsFileUrl(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol === 'https:' && /\.[A-Za-z0-9]{1,10}$/.test(u.pathname);
  } catch {
    return false;
  }
}

export const isE164 = (v: unknown): v is string => typeof v === 'string' && E164.test(v);

function fail(problems: string[]): { ok: false; error: string } {
  return { ok: false, error: `Bad Request: ${problems.join('; ')}` };
}

export function checkSend(body: unknown): Checked<SendInput> {
  if (!isObj(body)) return fail(['body must be a JSON object']);
  const p: string[] = [];
  if (!isE164(body.to)) p.push('to must be an E.164 phone number');
  if (body.from != null && !isE164(body.from)) p.push('from must be an E.164 phone number');
  if (body.message != null && typeof body.message !== 'string') p.push('message must be a string');
  const att = body.attachments;
  if (att != null) {
    if (!Array.isArray(att)) p.push('attachments must be an array');
    else if (att.length > 10) p.push('attachments: at most 10');
    else if (!att.every(httpsFileUrl)) p.push('attachments must be HTTPS URLs with file extensions');
  }
  const hasAttachments = Array.isArray(att) && att.length > 0;
  if ((typeof body.message !== 'string' || body.message === '') && !hasAttachments) p.push('message is required unless attachments are provided');
  const fb = body.fallback;
  if (fb != null) {
    if (!isObj(fb) || !Array.isArray(fb.when)) p.push('fallback.when is required');
    else {
      if (!fb.when.every((w) => typeof w === 'string' && WHEN.has(w))) p.push('fallback.when must contain imessage_unsupported and/or imessage_fails');
      if (fb.from != null && !isE164(fb.from)) p.push('fallback.from must be an E.164 phone number');
    }
  }
  if (body.fast_track != null && typeof body.fast_track !== 'boolean') p.push('fast_track must be a boolean');
  if (p.length) return fail(p);
  return {
    ok: true,
    value: {
      to: body.to as string,
      from: (body.from as string | null | undefined) ?? undefined,
      message: (body.message as string | null | undefined) ?? undefined,
      attachments: (att as string[] | null | undefined) ?? undefined,
      fallback: isObj(fb) ? { when: fb.when as string[], from: (fb.from as string | null | undefined) ?? undefined } : undefined,
      fast_track: (body.fast_track as boolean | null | undefined) ?? undefined,
    },
  };
}

export function checkTyping(body: unknown): Checked<{ to: string; action: 'start' | 'stop'; from?: string }> {
  if (!isObj(body)) return fail(['body must be a JSON object']);
  const p: string[] = [];
  if (!isE164(body.to)) p.push('to must be an E.164 phone number');
  if (body.from != null && !isE164(body.from)) p.push('from must be an E.164 phone number');
  if (body.action !== 'start' && body.action !== 'stop') p.push('action must be start or stop');
  if (p.length) return fail(p);
  return { ok: true, value: { to: body.to as string, action: body.action as 'start' | 'stop', from: (body.from as string | null | undefined) ?? undefined } };
}

export function checkReaction(body: unknown): Checked<{ to: string; from: string; action: 'add' | 'remove'; tapback: string; message: string }> {
  if (!isObj(body)) return fail(['body must be a JSON object']);
  const p: string[] = [];
  if (!isE164(body.to)) p.push('to must be an E.164 phone number');
  if (!isE164(body.from)) p.push('from must be an E.164 phone number');
  if (body.action !== 'add' && body.action !== 'remove') p.push('action must be add or remove');
  if (typeof body.tapback !== 'string' || !TAPBACKS.has(body.tapback)) p.push(`tapback must be one of ${[...TAPBACKS].join(', ')}`);
  if (typeof body.message !== 'string' || body.message === '') p.push('message is required');
  if (p.length) return fail(p);
  return { ok: true, value: body as { to: string; from: string; action: 'add' | 'remove'; tapback: string; message: string } };
}

export function checkRead(body: unknown): Checked<{ to: string; from: string }> {
  if (!isObj(body)) return fail(['body must be a JSON object']);
  const p: string[] = [];
  if (!isE164(body.to)) p.push('to must be an E.164 phone number');
  if (!isE164(body.from)) p.push('from must be an E.164 phone number');
  if (p.length) return fail(p);
  return { ok: true, value: { to: body.to as string, from: body.from as string } };
}
