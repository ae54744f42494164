import { locate } from '../compliance/location.ts';
import type { SendRules } from '../compliance/engine.ts';
import type { Closure, Hold } from '../db/sql/legal-holds.ts';
import type { ClaimedMessage } from './worker-types.ts';

const DAY_MS = 24 * 3600_000;

/**
 * The legal send window at the claim: each claimed row is evaluated with the
 * rules engine for its recipient (CSV state / ZIP / zone, plus the number's
 * area code, so a number whose area code spans zones must be allowed in all
 * of them) intersected with the campaign's own window, which the law only
 * ever narrows. A row not allowed now becomes a hold: released by the claimer
 * with not_before = the next allowed instant and the rules that hold it.
 */
export function createLegalHoldCheck(rules: SendRules) {
  return function check(row: ClaimedMessage, now: Date): { hold: Hold } | { close: Closure } | null {
    const loc = locate({ phone: row.to_phone, state: row.recipient_state, zip: row.recipient_zip, timezone: row.recipient_timezone });
    const policy = rules.policy(loc, {
      window: { startMinute: row.window_start_minute, endMinute: row.window_end_minute },
      transactional: row.transactional,
      zone: row.timezone,
      onCap: 'wait',
    });
    const d = rules.evaluate(policy, now, [], { sendBy: row.send_by });
    if (d.verdict === 'send') return null;
    const reasons = d.reasons.map((r) => ({ rule: r.rule, jurisdiction: r.jurisdiction, until: r.until ? r.until.toISOString() : null }));
    if (d.verdict === 'expired') return { close: { id: row.id, status: 'expired', why: `not allowed before its send-by deadline: ${reasons.map((r) => r.rule).join(', ')}`, reasons } };
    // No allowed time within the engine's look-ahead: look again in a day
    // rather than send (the reasons say why it waits).
    const at = d.verdict === 'wait' ? d.until : new Date(now.getTime() + DAY_MS);
    return { hold: { id: row.id, at, reasons } };
  };
}

export type LegalHoldCheck = ReturnType<typeof createLegalHoldCheck>;
