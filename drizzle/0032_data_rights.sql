-- Personal data rights (PDPA, Indonesia's PDP law, GDPR). An erased learner
-- keeps their row and its id, so the ledger, the reports and the audit chain
-- stay linked and exact; their name, birth date and national id (its keyed
-- hash and its masked form) are removed and erased_at says when.
ALTER TABLE "learners" ADD COLUMN "erased_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "learners" ALTER COLUMN "national_id_hash" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "learners" ALTER COLUMN "national_id_masked" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "learners" ALTER COLUMN "full_name" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "learners" ALTER COLUMN "date_of_birth" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "learners" ADD CONSTRAINT "learners_personal_data_until_erased" CHECK (
	("erased_at" is null) = ("national_id_hash" is not null AND "national_id_masked" is not null AND "full_name" is not null AND "date_of_birth" is not null)
	AND ("erased_at" is null OR ("national_id_hash" is null AND "national_id_masked" is null AND "full_name" is null AND "date_of_birth" is null))
);--> statement-breakpoint
-- Every read of a learner's personal data by staff: who, whom, what, why, when, in which request.
-- Keyed by the learner, like everything else of a learner. Never holds the national id.
CREATE TABLE "staff_data_reads" (
	"id" uuid PRIMARY KEY NOT NULL,
	"learner_id" uuid NOT NULL REFERENCES "learners"("id"),
	"reader_subject" text NOT NULL,
	"reader_role" text NOT NULL,
	"operation" text NOT NULL,
	"purpose" text NOT NULL,
	"request_id" text,
	"at" timestamp with time zone NOT NULL
);--> statement-breakpoint
CREATE INDEX "staff_data_reads_learner_idx" ON "staff_data_reads" USING btree ("learner_id", "at" DESC, "id" DESC);
