import { locate } from '../compliance/location.ts';
import type { Decision, Policy, RecentSend, SendRules } from '../compliance/engine.ts';
import type { Closure, Hold, RecentSendRow } from '../db/sql/legal-holds.ts';
import type { ClaimedMessage } from './worker-types.ts';

const DAY_MS = 24 * 3600_000;

/** The statements the cap check needs, bound to one transaction (the contacts' cap locks last until it ends). */
export interface CapTx {
  lockContacts(contactIds: number[]): Promise<void>;
  recentSends(p: { contactIds: number[]; since: Date; exclude: number[] }): Promise<RecentSendRow[]>;
  markCleared(p: { workerId: string; now: Date; ids: number[] }): Promise<number>;
}

export interface CapStore {
  capTransaction<T>(fn: (tx: CapTx) => Promise<T>): Promise<T>;
}

/** What the gate made of a claimed batch: rows to send now, rows to hold (queued until), rows closed for good. */
export interface GateResult {
  ready: ClaimedMessage[];
  holds: Hold[];
  closures: Closure[];
}

function reasonsOf(d: Exclude<Decision, { verdict: 'send' }>) {
  return d.reasons.map((r) => ({ rule: r.rule, jurisdiction: r.jurisdiction, kind: r.kind, until: r.until ? r.until.toISOString() : null }));
}

/** A "no" of the engine as the row's hold or closure. */
function outcome(row: ClaimedMessage, d: Exclude<Decision, { verdict: 'send' }>, now: Date): { hold: Hold } | { close: Closure } {
  const reasons = reasonsOf(d);
  const rules = reasons.map((r) => `${r.rule} (${r.jurisdiction})`).join(', ');
  if (d.verdict === 'expired') return { close: { id: row.id, status: 'expired', why: `not allowed before its send-by deadline: ${rules}`, reasons } };
  if (d.verdict === 'skip' && d.reasons.some((r) => r.kind === 'cap')) return { close: { id: row.id, status: 'skipped', why: `skipped by a frequency cap: ${rules}`, reasons } };
  // No allowed time within the engine's look-ahead: look again in a day
  // rather than send (the reasons say why it waits).
  const at = d.verdict === 'wait' ? d.until : new Date(now.getTime() + DAY_MS);
  return { hold: { id: row.id, at, reasons } };
}

export { windowOnlyRules } from '../compliance/window-only.ts';

/**
 * The legal rules at the claim, for a claimed batch. Each row is evaluated by
 * the one rules engine (compliance/engine.ts) for its recipient (CSV state /
 * ZIP / zone plus the number's area code, so a number whose area code spans
 * zones or states must be allowed in all of them), intersected with the
 * campaign's own window, which the law only ever narrows.
 *
 * With BLUECAST_LEGAL_WINDOWS=off the same gate runs over a table without
 * jurisdictions or caps (compliance/window-only.ts, caps: false): only the
 * campaign's window, in every zone of the recipient, and its send-by.
 *
 * Hours, holidays and the send-by deadline need no database: they are decided
 * first, in memory. Campaign messages the hours allow then go through one
 * transaction per batch: the cap locks of all their contacts (so two workers
 * clearing messages for the same person, in any campaigns, are serialised),
 * one read of those people's recent sends (only for rows some cap applies
 * to), the caps decided in claim order (a row cleared earlier in the batch
 * counts against the next one of the same person), and one statement marking
 * the cleared rows, which is what makes them count for every other worker at
 * once. Conversation messages (answers to a person who wrote) are neither
 * capped nor counted.
 */
export function createLegalHoldCheck(rules: SendRules, o: { caps?: boolean } = {}) {
  // Without caps (the campaign window alone, BLUECAST_LEGAL_WINDOWS=off) nothing is counted: no transaction.
  const caps = o.caps ?? true;
  return async function check(rows: readonly ClaimedMessage[], now: Date, store: CapStore, workerId: string): Promise<GateResult> {
    const result: GateResult = { ready: [], holds: [], closures: [] };
    const capped: { row: ClaimedMessage; policy: Policy }[] = [];
    const toClear: ClaimedMessage[] = [];
    const settle = (row: ClaimedMessage, d: Decision) => {
      if (d.verdict === 'send') return true;
      const o = outcome(row, d, now);
      if ('hold' in o) result.holds.push(o.hold);
      else result.closures.push(o.close);
      return false;
    };
    for (const row of rows) {
      const campaign = row.kind === 'campaign';
      const policy = rules.policy(locate({ phone: row.to_phone, state: row.recipient_state, zip: row.recipient_zip, timezone: row.recipient_timezone }), {
        window: { startMinute: row.window_start_minute, endMinute: row.window_end_minute },
        transactional: row.transactional,
        zone: row.timezone,
        recentContactHours: campaign && caps ? row.recent_contact_hours : null,
        onCap: row.on_cap,
      });
      // Hours first, without caps: what the clock rules out needs no lock.
      // A campaign's deadline is for its own messages, not for the answers to people who wrote.
      const sendBy = campaign ? row.send_by : null;
      const byHours = rules.evaluate(policy, now, [], { sendBy, onCap: row.on_cap });
      if (!settle(row, byHours)) continue;
      if (!campaign || !caps) result.ready.push(row);
      else if (policy.caps.length > 0) capped.push({ row, policy });
      else toClear.push(row);
    }
    if (capped.length === 0 && toClear.length === 0) return result;

    await store.capTransaction(async (tx) => {
      await tx.lockContacts([...new Set([...capped.map((c) => c.row), ...toClear].map((r) => r.contact_id))]);
      const cleared: ClaimedMessage[] = [...toClear];
      if (capped.length > 0) {
        const longest = Math.max(...capped.flatMap((c) => c.policy.caps.map((cap) => cap.windowHours)));
        const sends = await tx.recentSends({
          contactIds: [...new Set(capped.map((c) => c.row.contact_id))],
          since: new Date(now.getTime() - longest * 3600_000),
          exclude: rows.map((r) => r.id),
        });
        const byContact = new Map<number, RecentSend[]>();
        const add = (contact: number, s: RecentSend) => {
          const list = byContact.get(contact);
          if (list) list.push(s);
          else byContact.set(contact, [s]);
        };
        for (const s of sends) add(s.contact_id, { at: s.at, transactional: s.transactional });
        // This batch's own clearings for the same people count too.
        for (const row of toClear) add(row.contact_id, { at: now, transactional: row.transactional });
        for (const { row, policy } of capped) {
          const d = rules.evaluate(policy, now, byContact.get(row.contact_id) ?? [], { sendBy: row.send_by, onCap: row.on_cap });
          if (!settle(row, d)) continue;
          cleared.push(row);
          add(row.contact_id, { at: now, transactional: row.transactional });
        }
      }
      await tx.markCleared({ workerId, now, ids: cleared.map((r) => r.id) });
      result.ready.push(...cleared);
    });
    return result;
  };
}

export type LegalHoldCheck = ReturnType<typeof createLegalHoldCheck>;
