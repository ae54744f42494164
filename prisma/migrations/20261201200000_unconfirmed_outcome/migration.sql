-- "Unconfirmed": the provider reported a text as failed only because the
-- carrier never confirmed it ("Carrier never provided delivery confirmation.
-- Your message may have delivered…"). The person may well have it, so it is
-- neither delivered nor failed: reports show it apart and retry-failed leaves
-- it alone unless asked (--include-unconfirmed), since resending could reach
-- the person twice. A status of its own (rather than a flag) so that the
-- report rollups, keyed by status, count it without another column.
ALTER TYPE "message_status" ADD VALUE IF NOT EXISTS 'unconfirmed' AFTER 'failed';
