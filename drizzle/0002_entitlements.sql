CREATE TABLE "course_approvals" (
	"course_id" uuid NOT NULL,
	"scheme_id" uuid NOT NULL,
	"approved_at" timestamp with time zone NOT NULL,
	"approved_by" text NOT NULL,
	CONSTRAINT "course_approvals_course_id_scheme_id_pk" PRIMARY KEY("course_id","scheme_id")
);
--> statement-breakpoint
CREATE TABLE "course_runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"course_id" uuid NOT NULL,
	"provider_id" uuid NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"fee" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"capacity" integer NOT NULL,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"cancelled_reason" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "course_runs_dates" CHECK ("course_runs"."ends_at" > "course_runs"."starts_at"),
	CONSTRAINT "course_runs_fee" CHECK ("course_runs"."fee" >= 0),
	CONSTRAINT "course_runs_capacity" CHECK ("course_runs"."capacity" > 0)
);
--> statement-breakpoint
CREATE TABLE "courses" (
	"id" uuid PRIMARY KEY NOT NULL,
	"provider_id" uuid NOT NULL,
	"code" text NOT NULL,
	"title" text NOT NULL,
	"category" text NOT NULL,
	"skills" text[] DEFAULT '{}'::text[] NOT NULL,
	"hours" integer NOT NULL,
	"description" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "grant_runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"scheme_id" uuid NOT NULL,
	"criteria" jsonb NOT NULL,
	"amount" bigint NOT NULL,
	"expires_at" timestamp with time zone,
	"status" text NOT NULL,
	"cursor" uuid,
	"granted" bigint DEFAULT 0 NOT NULL,
	"granted_amount" bigint DEFAULT 0 NOT NULL,
	"lease_until" timestamp with time zone,
	"error" text,
	"created_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "grants" (
	"id" uuid PRIMARY KEY NOT NULL,
	"learner_id" uuid NOT NULL,
	"scheme_id" uuid NOT NULL,
	"currency" char(3) NOT NULL,
	"amount" bigint NOT NULL,
	"granted_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone,
	"first_use_deadline" timestamp with time zone,
	"first_used_at" timestamp with time zone,
	"status" text DEFAULT 'active' NOT NULL,
	"settled" boolean DEFAULT false NOT NULL,
	"grant_run_id" uuid,
	"reason" text,
	CONSTRAINT "grants_amount_positive" CHECK ("grants"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "learners" (
	"id" uuid PRIMARY KEY NOT NULL,
	"country" char(2) NOT NULL,
	"national_id_hash" "bytea" NOT NULL,
	"national_id_masked" text NOT NULL,
	"subject_id" text NOT NULL,
	"full_name" text NOT NULL,
	"date_of_birth" date NOT NULL,
	"citizenship" char(2) NOT NULL,
	"employment_status" text NOT NULL,
	"income_group" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "learners_subject_id_unique" UNIQUE("subject_id")
);
--> statement-breakpoint
CREATE TABLE "provider_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"provider_id" uuid NOT NULL,
	"kid" text NOT NULL,
	"alg" text NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"deactivated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "provider_payables" (
	"provider_id" uuid NOT NULL,
	"currency" char(3) NOT NULL,
	"account_id" uuid NOT NULL,
	CONSTRAINT "provider_payables_provider_id_currency_pk" PRIMARY KEY("provider_id","currency")
);
--> statement-breakpoint
CREATE TABLE "providers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"legal_name" text NOT NULL,
	"registration_number" text NOT NULL,
	"country" char(2) NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"contact_email" text,
	"bank_account" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheme_rule_versions" (
	"scheme_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"rules" jsonb NOT NULL,
	"effective_from" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	CONSTRAINT "scheme_rule_versions_scheme_id_version_pk" PRIMARY KEY("scheme_id","version")
);
--> statement-breakpoint
CREATE TABLE "schemes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"country" char(2) NOT NULL,
	"currency" char(3) NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"budget_account_id" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "schemes_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "system_accounts" (
	"purpose" text NOT NULL,
	"currency" char(3) NOT NULL,
	"account_id" uuid NOT NULL,
	CONSTRAINT "system_accounts_purpose_currency_pk" PRIMARY KEY("purpose","currency")
);
--> statement-breakpoint
ALTER TABLE "idempotency_keys" ALTER COLUMN "body" SET DATA TYPE text;--> statement-breakpoint
ALTER TABLE "course_approvals" ADD CONSTRAINT "course_approvals_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "course_approvals" ADD CONSTRAINT "course_approvals_scheme_id_schemes_id_fk" FOREIGN KEY ("scheme_id") REFERENCES "public"."schemes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "course_runs" ADD CONSTRAINT "course_runs_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "course_runs" ADD CONSTRAINT "course_runs_provider_id_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."providers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "courses" ADD CONSTRAINT "courses_provider_id_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."providers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grant_runs" ADD CONSTRAINT "grant_runs_scheme_id_schemes_id_fk" FOREIGN KEY ("scheme_id") REFERENCES "public"."schemes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_learner_id_learners_id_fk" FOREIGN KEY ("learner_id") REFERENCES "public"."learners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_scheme_id_schemes_id_fk" FOREIGN KEY ("scheme_id") REFERENCES "public"."schemes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "provider_keys" ADD CONSTRAINT "provider_keys_provider_id_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."providers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "provider_payables" ADD CONSTRAINT "provider_payables_provider_id_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."providers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheme_rule_versions" ADD CONSTRAINT "scheme_rule_versions_scheme_id_schemes_id_fk" FOREIGN KEY ("scheme_id") REFERENCES "public"."schemes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "course_approvals_scheme_idx" ON "course_approvals" USING btree ("scheme_id");--> statement-breakpoint
CREATE INDEX "course_runs_course_idx" ON "course_runs" USING btree ("course_id","starts_at");--> statement-breakpoint
CREATE INDEX "course_runs_provider_idx" ON "course_runs" USING btree ("provider_id");--> statement-breakpoint
CREATE UNIQUE INDEX "courses_provider_code_uq" ON "courses" USING btree ("provider_id","code");--> statement-breakpoint
CREATE INDEX "courses_category_idx" ON "courses" USING btree ("category");--> statement-breakpoint
CREATE INDEX "grants_learner_idx" ON "grants" USING btree ("learner_id");--> statement-breakpoint
CREATE UNIQUE INDEX "grants_run_learner_uq" ON "grants" USING btree ("grant_run_id","learner_id");--> statement-breakpoint
CREATE INDEX "grants_expiry_idx" ON "grants" USING btree ("expires_at") WHERE "grants"."status" = 'active' and "grants"."expires_at" is not null;--> statement-breakpoint
CREATE INDEX "grants_first_use_idx" ON "grants" USING btree ("first_use_deadline") WHERE "grants"."status" = 'active' and "grants"."first_used_at" is null and "grants"."first_use_deadline" is not null;--> statement-breakpoint
CREATE INDEX "grants_unsettled_idx" ON "grants" USING btree ("id") WHERE "grants"."status" <> 'active' and not "grants"."settled";--> statement-breakpoint
CREATE UNIQUE INDEX "learners_national_id_uq" ON "learners" USING btree ("country","national_id_hash");--> statement-breakpoint
CREATE INDEX "learners_citizenship_dob_idx" ON "learners" USING btree ("citizenship","date_of_birth");--> statement-breakpoint
CREATE UNIQUE INDEX "provider_keys_kid_uq" ON "provider_keys" USING btree ("provider_id","kid");--> statement-breakpoint
CREATE UNIQUE INDEX "providers_registration_uq" ON "providers" USING btree ("country","registration_number");