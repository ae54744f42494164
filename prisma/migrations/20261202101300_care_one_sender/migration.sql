-- One sender: conversation-care messages are queued rows the dispatcher
-- claims and sends like any other, so no row is 'retrying' any more (the enum
-- value stays: Postgres cannot drop one). What an older version left there:
-- - waiting for its retry (no owner): queued, due when it was due; attempts
--   stay, so the campaign's attempt budget still bounds it;
-- - held by a care worker when this version arrived (owner set): whether the
--   provider took it is unknown, and nothing is sent twice, so it is failed,
--   as that care worker would have done.
UPDATE "outbound_messages"
   SET "status" = 'queued', "next_attempt_at" = COALESCE("lease_expires_at", now()),
       "lease_owner" = NULL, "lease_expires_at" = NULL, "error_retryable" = true, "updated_at" = now()
 WHERE "status" = 'retrying' AND "lease_owner" IS NULL;

UPDATE "outbound_messages"
   SET "status" = 'failed', "failed_at" = now(), "error_retryable" = false,
       "last_error" = 'outcome unknown: its care worker stopped during the send; not sent again',
       "lease_owner" = NULL, "lease_expires_at" = NULL, "updated_at" = now()
 WHERE "status" = 'retrying';
