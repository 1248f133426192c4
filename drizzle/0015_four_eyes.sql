CREATE TABLE "approvals" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"summary" text NOT NULL,
	"status" text NOT NULL,
	"proposed_by" text NOT NULL,
	"proposed_by_role" text NOT NULL,
	"proposed_at" timestamp with time zone NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"decision_note" text
);
--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_one_pending_uq" ON "approvals" USING btree ("kind","subject_id") WHERE "approvals"."status" = 'pending';
--> statement-breakpoint
CREATE INDEX "approvals_status_idx" ON "approvals" USING btree ("status","proposed_at");
--> statement-breakpoint
ALTER TABLE "disbursement_batches" ADD COLUMN "released_at" timestamp with time zone;
--> statement-breakpoint
ALTER TABLE "disbursement_batches" ADD COLUMN "released_by" text;
--> statement-breakpoint
ALTER TABLE "disbursement_batches" ADD COLUMN "excluded" jsonb DEFAULT '[]'::jsonb NOT NULL;
--> statement-breakpoint
-- Batches made before four eyes were released by the officer who made them.
UPDATE "disbursement_batches" SET "released_at" = "created_at", "released_by" = "created_by";
