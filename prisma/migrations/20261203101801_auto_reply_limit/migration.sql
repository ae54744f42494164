-- The auto-reply limited to once per person per AUTO_REPLY_ONCE_PER_HOURS
-- (src/config.ts): when a person last had one, on their contact row, so that
-- the check and the claim of the slot are one conditional UPDATE (two replies
-- processed at once cannot both pass it).
ALTER TABLE "contacts" ADD COLUMN "last_auto_reply_at" TIMESTAMPTZ(3);
