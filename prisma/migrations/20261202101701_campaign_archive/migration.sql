-- Archiving hides a finished or abandoned campaign from the default list. It
-- is a timestamp, not a status: an archived campaign keeps the status it ended
-- in (completed, cancelled, draft), which its report still shows.
ALTER TABLE "campaigns" ADD COLUMN "archived_at" TIMESTAMPTZ(3);
