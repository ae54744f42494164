-- A recipient import writes up to millions of rows in one transaction, and
-- what it cost per row was mostly not the rows: a contacts row created for
-- every new number (heap and two indexes), and three foreign keys checked
-- row by row, each locking the row it points at (about 3 µs a check, 6 µs
-- for contacts, whose million distinct rows were each locked and dirtied).
--
-- Recipients now name their contact by number, the key contacts already
-- have (contacts.phone is unique), instead of by id. Contacts are created
-- when a run enqueues its messages, the first time a number is actually
-- written to; until then a number no one has opted out has nothing to store.
-- The import still skips numbers whose contact has opted out.
ALTER TABLE "campaign_recipients" DROP COLUMN "contact_id";

-- import_id is provenance. Imports are only deleted with their campaign,
-- which deletes its recipients through campaign_id, the key that stays.
ALTER TABLE "campaign_recipients" DROP CONSTRAINT "campaign_recipients_import_id_fkey";

-- Contacts created in bulk have no sticky line yet, and only contacts with
-- one are looked up by line: the others need no entry.
DROP INDEX "contacts_sticky_line_sticky_line_assigned_at_idx";
CREATE INDEX "contacts_sticky_line_sticky_line_assigned_at_idx" ON "contacts"("sticky_line", "sticky_line_assigned_at") WHERE "sticky_line" IS NOT NULL;

-- The opted-out few, by number: an import skips them with one small hash
-- instead of probing contacts for every row.
CREATE INDEX "contacts_opted_out_phone_idx" ON "contacts"("phone") WHERE "opted_out";
