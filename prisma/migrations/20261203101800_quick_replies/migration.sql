-- Quick replies: the operator's saved answers (src/inbox/quick-replies.ts).
-- The body is a message template ({{first_name|there}}, {a|b}) rendered with
-- the thread's recipient columns when it is used. Names are unique as the
-- operator types them, whatever the case.
CREATE TABLE "quick_replies" (
  "id"         SERIAL NOT NULL,
  "name"       TEXT NOT NULL,
  "body"       TEXT NOT NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  CONSTRAINT "quick_replies_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "quick_replies_name_check" CHECK (length(btrim("name")) BETWEEN 1 AND 60),
  CONSTRAINT "quick_replies_body_check" CHECK (length(btrim("body")) BETWEEN 1 AND 2000)
);
CREATE UNIQUE INDEX "quick_replies_name_key" ON "quick_replies" (lower("name"));
