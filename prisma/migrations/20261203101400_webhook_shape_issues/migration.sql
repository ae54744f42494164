-- A signed event off its documented shape is stored and processed leniently,
-- never refused (#14); what was off about it is kept on the row so that the
-- campaign report and the dashboard can count such events, not only the log.
ALTER TABLE "webhook_events" ADD COLUMN "shape_issues" TEXT;
-- Few rows are off their shape: the counts read this small index only.
CREATE INDEX "webhook_events_off_shape_idx" ON "webhook_events"("id") WHERE "shape_issues" IS NOT NULL;
