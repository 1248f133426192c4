-- Completion incentives paid to learners (Prakerja-style), course ratings, and learner payee accounts.
-- A scheme's incentive budget: its own limited ledger account, funded from the treasury like the scheme budget.
CREATE TABLE "scheme_incentive_budgets" (
	"scheme_id" uuid PRIMARY KEY NOT NULL REFERENCES "schemes"("id"),
	"account_id" uuid NOT NULL UNIQUE,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
-- What the service owes a learner in incentives, per currency: credited by accrual, paid out by disbursement.
CREATE TABLE "learner_payables" (
	"learner_id" uuid NOT NULL REFERENCES "learners"("id"),
	"currency" char(3) NOT NULL,
	"account_id" uuid NOT NULL,
	CONSTRAINT "learner_payables_learner_id_currency_pk" PRIMARY KEY("learner_id","currency")
);
--> statement-breakpoint
-- One rating per completed enrolment, given by its learner; never replaced.
CREATE TABLE "course_ratings" (
	"enrolment_id" uuid PRIMARY KEY NOT NULL REFERENCES "enrolments"("id"),
	"learner_id" uuid NOT NULL,
	"course_id" uuid NOT NULL,
	"provider_id" uuid NOT NULL,
	"stars" integer NOT NULL,
	"comment" text,
	"rated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "course_ratings_stars" CHECK ("course_ratings"."stars" between 1 and 5),
	CONSTRAINT "course_ratings_comment_length" CHECK ("course_ratings"."comment" is null or char_length("course_ratings"."comment") <= 1000)
);
--> statement-breakpoint
CREATE INDEX "course_ratings_provider_course_idx" ON "course_ratings" USING btree ("provider_id","course_id");
--> statement-breakpoint
-- A learner's completion incentive: at most one per (learner, enrolment). accrued: the transfer from the incentive
-- budget to the learner's payable is posted; held: it could not be (hold_reason), and nothing moved.
CREATE TABLE "incentives" (
	"id" uuid PRIMARY KEY NOT NULL,
	"learner_id" uuid NOT NULL,
	"enrolment_id" uuid NOT NULL,
	"scheme_id" uuid NOT NULL,
	"currency" char(3) NOT NULL,
	"amount" bigint NOT NULL,
	"status" text NOT NULL,
	"hold_reason" text,
	"transfer_id" uuid NOT NULL UNIQUE,
	"created_at" timestamp with time zone NOT NULL,
	"accrued_at" timestamp with time zone,
	CONSTRAINT "incentives_amount_positive" CHECK ("incentives"."amount" > 0),
	CONSTRAINT "incentives_status" CHECK ("incentives"."status" in ('accrued', 'held')),
	CONSTRAINT "incentives_held_has_reason" CHECK (("incentives"."status" = 'held') = ("incentives"."hold_reason" is not null))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "incentives_learner_enrolment_uq" ON "incentives" USING btree ("learner_id","enrolment_id");
--> statement-breakpoint
CREATE INDEX "incentives_accrued_idx" ON "incentives" USING btree ("currency","learner_id") WHERE "incentives"."status" = 'accrued';
--> statement-breakpoint
CREATE INDEX "incentives_held_idx" ON "incentives" USING btree ("scheme_id","created_at") WHERE "incentives"."status" = 'held';
--> statement-breakpoint
-- Where a learner is paid. active: the one in force (at most one); proposed: a change waiting for a second person.
CREATE TABLE "learner_payee_accounts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"learner_id" uuid NOT NULL REFERENCES "learners"("id"),
	"kind" text NOT NULL,
	"account" jsonb NOT NULL,
	"masked" text NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	"activated_at" timestamp with time zone,
	"activated_by" text,
	CONSTRAINT "learner_payee_accounts_kind" CHECK ("learner_payee_accounts"."kind" in ('bank', 'ewallet')),
	CONSTRAINT "learner_payee_accounts_status" CHECK ("learner_payee_accounts"."status" in ('active', 'proposed', 'superseded', 'rejected'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "learner_payee_accounts_active_uq" ON "learner_payee_accounts" USING btree ("learner_id") WHERE "learner_payee_accounts"."status" = 'active';
--> statement-breakpoint
CREATE UNIQUE INDEX "learner_payee_accounts_proposed_uq" ON "learner_payee_accounts" USING btree ("learner_id") WHERE "learner_payee_accounts"."status" = 'proposed';
--> statement-breakpoint
-- Payment lines pay a provider (its claims) or a learner (their incentives).
ALTER TABLE "payment_lines" ALTER COLUMN "provider_id" DROP NOT NULL;
--> statement-breakpoint
ALTER TABLE "payment_lines" ADD COLUMN "learner_id" uuid;
--> statement-breakpoint
ALTER TABLE "payment_lines" ADD COLUMN "payee_kind" text DEFAULT 'provider' NOT NULL;
--> statement-breakpoint
ALTER TABLE "payment_lines" ADD CONSTRAINT "payment_lines_one_payee" CHECK (
	("payment_lines"."payee_kind" = 'provider' and "payment_lines"."provider_id" is not null and "payment_lines"."learner_id" is null)
	or ("payment_lines"."payee_kind" = 'learner' and "payment_lines"."learner_id" is not null and "payment_lines"."provider_id" is null));
--> statement-breakpoint
-- Which incentives a learner line pays. An incentive is in at most one live line.
CREATE TABLE "payment_line_incentives" (
	"line_id" uuid NOT NULL REFERENCES "payment_lines"("id"),
	"incentive_id" uuid NOT NULL,
	"amount" bigint NOT NULL,
	"live" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "payment_line_incentives_line_id_incentive_id_pk" PRIMARY KEY("line_id","incentive_id")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "payment_line_incentives_live_uq" ON "payment_line_incentives" USING btree ("incentive_id") WHERE "payment_line_incentives"."live" = 1;
