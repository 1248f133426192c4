-- When a queued notice last had reason to expect its job: its creation, its
-- last recorded attempt, or its last resume. The worker's resume sweep
-- (src/modules/notices/resume-notices.ts) gives a new job to a notice still
-- queued a grace past it (its job failed for good or was lost), and the
-- partial index keeps that sweep to the few notices that are queued.
ALTER TABLE "notices" ADD COLUMN "waiting_since" timestamp with time zone;--> statement-breakpoint
UPDATE "notices" SET "waiting_since" = "created_at";--> statement-breakpoint
ALTER TABLE "notices" ALTER COLUMN "waiting_since" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "notices_waiting_idx" ON "notices" USING btree ("waiting_since") WHERE "notices"."status" = 'queued';
