CREATE TABLE "claims" (
	"id" uuid PRIMARY KEY NOT NULL,
	"enrolment_id" uuid NOT NULL,
	"learner_id" uuid NOT NULL,
	"provider_id" uuid NOT NULL,
	"currency" char(3) NOT NULL,
	"amount_claimed" bigint NOT NULL,
	"attendance_bps" integer,
	"status" text NOT NULL,
	"credential_id" text,
	"credential_sha256" text NOT NULL,
	"credential_issued_at" timestamp with time zone,
	"failed_checks" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"review_reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"on_hold" boolean DEFAULT false NOT NULL,
	"flagged_by" text,
	"flag_reason" text,
	"decided_by" text,
	"decision_reason" text,
	"submitted_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone,
	"paid_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "credential_revocations" (
	"provider_id" uuid NOT NULL,
	"credential_id" text NOT NULL,
	"reason" text NOT NULL,
	"revoked_at" timestamp with time zone NOT NULL,
	CONSTRAINT "credential_revocations_provider_id_credential_id_pk" PRIMARY KEY("provider_id","credential_id")
);
--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_enrolment_id_enrolments_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "claims_credential_once_uq" ON "claims" USING btree ("provider_id","credential_id") WHERE "claims"."status" <> 'rejected';--> statement-breakpoint
CREATE UNIQUE INDEX "claims_one_live_per_enrolment_uq" ON "claims" USING btree ("enrolment_id") WHERE "claims"."status" <> 'rejected';--> statement-breakpoint
CREATE INDEX "claims_provider_idx" ON "claims" USING btree ("provider_id","submitted_at");--> statement-breakpoint
CREATE INDEX "claims_learner_idx" ON "claims" USING btree ("learner_id","submitted_at");--> statement-breakpoint
CREATE INDEX "claims_status_idx" ON "claims" USING btree ("status","submitted_at");