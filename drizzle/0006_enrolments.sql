CREATE TABLE "enrolment_reservations" (
	"enrolment_id" uuid NOT NULL,
	"learner_id" uuid NOT NULL,
	"grant_id" uuid NOT NULL,
	"scheme_id" uuid NOT NULL,
	"transfer_id" uuid NOT NULL,
	"amount" bigint NOT NULL,
	"hold_until" timestamp with time zone NOT NULL,
	CONSTRAINT "enrolment_reservations_enrolment_id_grant_id_pk" PRIMARY KEY("enrolment_id","grant_id"),
	CONSTRAINT "enrolment_reservations_transfer_id_unique" UNIQUE("transfer_id")
);
--> statement-breakpoint
CREATE TABLE "enrolments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"learner_id" uuid NOT NULL,
	"course_run_id" uuid NOT NULL,
	"provider_id" uuid NOT NULL,
	"currency" char(3) NOT NULL,
	"fee" bigint NOT NULL,
	"funded" bigint DEFAULT 0 NOT NULL,
	"co_pay" bigint DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"origin" text NOT NULL,
	"rule_versions" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"consent_deadline" timestamp with time zone,
	"reserved_at" timestamp with time zone,
	"reservation_expires_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"end_reason" text
);
--> statement-breakpoint
ALTER TABLE "course_runs" ADD COLUMN "seats_taken" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "enrolment_reservations" ADD CONSTRAINT "enrolment_reservations_enrolment_id_enrolments_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrolments" ADD CONSTRAINT "enrolments_learner_id_learners_id_fk" FOREIGN KEY ("learner_id") REFERENCES "public"."learners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "enrolments_one_live_per_run_uq" ON "enrolments" USING btree ("learner_id","course_run_id") WHERE "enrolments"."status" in ('requested', 'reserved', 'claimed');--> statement-breakpoint
CREATE INDEX "enrolments_learner_idx" ON "enrolments" USING btree ("learner_id","requested_at");--> statement-breakpoint
CREATE INDEX "enrolments_provider_idx" ON "enrolments" USING btree ("provider_id","requested_at");--> statement-breakpoint
CREATE INDEX "enrolments_run_live_idx" ON "enrolments" USING btree ("course_run_id") WHERE "enrolments"."status" in ('requested', 'reserved', 'claimed');--> statement-breakpoint
CREATE INDEX "enrolments_consent_idx" ON "enrolments" USING btree ("consent_deadline") WHERE "enrolments"."status" = 'requested';--> statement-breakpoint
CREATE INDEX "enrolments_hold_idx" ON "enrolments" USING btree ("reservation_expires_at") WHERE "enrolments"."status" = 'reserved';--> statement-breakpoint
ALTER TABLE "course_runs" ADD CONSTRAINT "course_runs_seats" CHECK ("course_runs"."seats_taken" >= 0 and "course_runs"."seats_taken" <= "course_runs"."capacity");