-- Deliveries still waiting for an attempt, by when it is due: the worker's
-- resume sweep (src/modules/webhooks/resume-deliveries.ts) finds those whose
-- job was lost (failed for good, or its process died past pg-boss's retries).
CREATE INDEX "webhook_deliveries_waiting_idx" ON "webhook_deliveries" USING btree ("next_attempt_at") WHERE "webhook_deliveries"."status" in ('pending', 'retrying');
