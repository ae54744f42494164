-- Consent (#15).
--
-- handed_off_at: set by the one conditional UPDATE a sender makes right before
-- the provider call (it succeeds only while the message is still ours and the
-- contact is not opted out, under the contact row's share lock). Opt-out
-- processing, holding that row's exclusive lock, skips every message of the
-- contact not yet handed off; a message handed off earlier is the only one
-- that can still go, and is flagged on_wire_at_opt_out for the reports.
-- A claim clears handed_off_at: each attempt hands off anew.
ALTER TABLE "outbound_messages" ADD COLUMN "handed_off_at" TIMESTAMPTZ(3);
ALTER TABLE "outbound_messages" ADD COLUMN "on_wire_at_opt_out" BOOLEAN NOT NULL DEFAULT false;

-- A reply that may be an opt-out but is not a clear one ("don't stop") is
-- flagged for a person; a sender that is not a phone number is kept unmatched
-- (contact_id NULL) with the text it sent as from_phone.
ALTER TABLE "inbound_messages" ADD COLUMN "needs_attention" BOOLEAN NOT NULL DEFAULT false;

-- Operator actions record why (opt-out reason, opt-in basis) next to the source.
ALTER TABLE "consent_events" ADD COLUMN "note" TEXT;

-- One confirmation per opt-out, at most: the confirmation names the reply it
-- confirms, and a partial unique index makes a second one impossible.
ALTER TABLE "outbound_messages" ADD COLUMN "confirms_inbound_id" BIGINT;
CREATE UNIQUE INDEX "outbound_messages_one_confirmation_idx" ON "outbound_messages"("confirms_inbound_id") WHERE "kind" = 'opt_out_confirmation';
