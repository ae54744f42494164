import { applyConsentChanges, lockContacts, type ConsentInput, type ConsentKind } from '../db/sql/consent.ts';
import type { Queryable } from '../db/sql/queryable.ts';

export interface ConsentChange {
  kind: ConsentKind;
  /** The keyword the person wrote (STOP, START...) or the operator's action (manual, import). */
  keyword: string;
  /** Where the change came from: "imessage reply", "cli", "api", "import <file>". */
  source: string;
  /** Reason of an opt-out, basis of an opt-in (operator actions). */
  note: string | null;
  changes: ConsentInput[];
}

export interface ConsentResult {
  /** Each contact's state before the change (contacts of `changes` that exist). */
  before: Map<number, boolean>;
  /** Contacts whose change was applied (not overridden by a newer word of theirs). */
  applied: Set<number>;
  /** Campaign messages stopped by an opt-out (queued, or claimed but not handed off). */
  skippedMessages: number;
}

/**
 * The one way a contact's consent changes (a STOP or START reply, a manual
 * opt-out or opt-in, a suppression list): inside the caller's transaction,
 * lock the contacts, record the events, apply them and, for an opt-out, stop
 * every campaign message of theirs that has not been handed to the provider.
 * The caller commits; only then is the change acknowledged.
 */
export async function changeConsent(tx: Queryable, c: ConsentChange): Promise<ConsentResult> {
  // Each contact once (a list may name a number twice): its earliest word.
  const byContact = new Map<number, ConsentInput>();
  for (const ch of c.changes) {
    const seen = byContact.get(ch.contactId);
    if (!seen || ch.at < seen.at) byContact.set(ch.contactId, ch);
  }
  const changes = [...byContact.values()];
  const before = await lockContacts(tx, changes.map((ch) => ch.contactId));
  const { applied, skippedMessages } = await applyConsentChanges(tx, { kind: c.kind, keyword: c.keyword, source: c.source, note: c.note, changes });
  return { before, applied, skippedMessages };
}

/** Whether this change flipped the contact's state (what the one confirmation per opt-out is keyed on). */
export function flipped(r: ConsentResult, contactId: number, kind: ConsentKind): boolean {
  return r.applied.has(contactId) && r.before.get(contactId) === (kind === 'opt_in');
}
