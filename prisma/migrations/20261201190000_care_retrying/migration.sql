-- Conversation-care retries get a status of their own: a care message waiting
-- for another try (or held by the care worker trying it again) is 'retrying'
-- instead of 'failed' with a lease deadline, so 'failed' means failed for
-- everyone who reads it.
--
-- The enum is rebuilt rather than extended: migrations run in one transaction,
-- and a value added by ALTER TYPE … ADD VALUE cannot be used before that
-- transaction commits, while the rows waiting for a retry must move to it here.
ALTER TYPE "message_status" RENAME TO "message_status_old";
CREATE TYPE "message_status" AS ENUM ('queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'cancelled', 'skipped', 'retrying');

-- Their expressions name statuses of the old type; they are made again below.
DROP INDEX "outbound_messages_open_requested_line_idx";
ALTER TABLE "outbound_messages" DROP CONSTRAINT "outbound_messages_lease_check";

ALTER TABLE "outbound_messages" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "outbound_messages" ALTER COLUMN "status" TYPE "message_status"
  USING (CASE WHEN "kind" <> 'campaign' AND "status" = 'failed' AND "error_retryable" AND "lease_expires_at" IS NOT NULL
              THEN 'retrying' ELSE "status"::text END)::"message_status";
ALTER TABLE "outbound_messages" ALTER COLUMN "status" SET DEFAULT 'queued';
-- Before any row changes: the rollup triggers copy outbound statuses into it.
ALTER TABLE "report_counts" ALTER COLUMN "status" TYPE "message_status" USING "status"::text::"message_status";
-- A care row waiting for a retry had failed_at set by its first try; it has not failed.
UPDATE "outbound_messages" SET "failed_at" = NULL WHERE "status" = 'retrying';

DROP TYPE "message_status_old";

ALTER TABLE "outbound_messages" ADD CONSTRAINT "outbound_messages_lease_check" CHECK ("status" <> 'sending' OR ("lease_owner" IS NOT NULL AND "lease_expires_at" IS NOT NULL));

CREATE INDEX "outbound_messages_open_requested_line_idx" ON "outbound_messages"("requested_line") WHERE "status" IN ('queued', 'sending') AND "requested_line" IS NOT NULL;
