-- Legal send windows (#19): a message claimed outside its recipient's legal
-- window is released with the earliest instant it may go (not_before) and the
-- rules that hold it (hold_reasons: [{rule, jurisdiction, until}]), so the
-- claim passes over it until then and the report can say why it waits.
ALTER TABLE outbound_messages ADD COLUMN IF NOT EXISTS not_before timestamptz(3);
ALTER TABLE outbound_messages ADD COLUMN IF NOT EXISTS hold_reasons jsonb;
