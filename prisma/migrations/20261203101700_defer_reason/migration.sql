-- Why a queued message waits past now (the dispatcher's last deferral:
-- window, caps, pacing, released, unavailable, blocked), for the dashboard's
-- "why waiting" panel. Cleared when the message is claimed again, so a value
-- is only ever the reason of the current wait. Text, not an enum: the reasons
-- belong to the dispatcher (DeferReason) and grow with it.
ALTER TABLE outbound_messages ADD COLUMN IF NOT EXISTS defer_reason text;
