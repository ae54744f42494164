-- A first-contact message keeps the line it was given when an attempt fails
-- and it waits for a retry (history lookups depend on that line). Its slot
-- under the line's new-contact caps must stay taken meanwhile, or the line
-- takes on another new contact and the retry, when it succeeds, goes over the
-- cap (seen in the demo: 21 new contacts on three lines capped at 20). The
-- count of such reservations per line reads this index: only messages
-- waiting or in flight with a line, a small part of the table.
CREATE INDEX "outbound_messages_open_requested_line_idx" ON "outbound_messages"("requested_line") WHERE "status" IN ('queued', 'sending') AND "requested_line" IS NOT NULL;
