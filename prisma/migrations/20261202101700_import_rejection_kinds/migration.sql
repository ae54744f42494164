-- Every row of an upload that did not become a recipient is on record, not
-- only the invalid ones: a number already in the campaign (from this file or
-- an earlier one) and a number that has opted out are rejections too, so the
-- operator can download the whole list and see why each row was left out.
-- Existing rows were all invalid ones.
ALTER TABLE "import_rejections" ADD COLUMN "kind" text NOT NULL DEFAULT 'invalid';
ALTER TABLE "import_rejections" ADD CONSTRAINT "import_rejections_kind_check" CHECK ("kind" IN ('invalid', 'duplicate', 'opted_out'));
