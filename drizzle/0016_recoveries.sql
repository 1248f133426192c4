CREATE TABLE "provider_receivables" (
	"provider_id" uuid NOT NULL,
	"currency" char(3) NOT NULL,
	"account_id" uuid NOT NULL,
	CONSTRAINT "provider_receivables_provider_id_currency_pk" PRIMARY KEY("provider_id","currency")
);
--> statement-breakpoint
CREATE TABLE "recoveries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"claim_id" uuid NOT NULL,
	"provider_id" uuid NOT NULL,
	"currency" char(3) NOT NULL,
	"amount" bigint NOT NULL,
	"reference" text NOT NULL,
	"reason_code" text NOT NULL,
	"reason" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"opened_by" text NOT NULL,
	CONSTRAINT "recoveries_reference_unique" UNIQUE("reference"),
	CONSTRAINT "recoveries_amount_positive" CHECK ("recoveries"."amount" > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "recoveries_claim_uq" ON "recoveries" USING btree ("claim_id");
--> statement-breakpoint
CREATE INDEX "recoveries_provider_idx" ON "recoveries" USING btree ("provider_id","currency","opened_at");
--> statement-breakpoint
CREATE TABLE "recovery_settlements" (
	"id" uuid PRIMARY KEY NOT NULL,
	"recovery_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"amount" bigint NOT NULL,
	"payment_line_id" uuid,
	"statement_line_id" uuid,
	"transfer_id" uuid NOT NULL,
	"live" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "recovery_settlements_amount_positive" CHECK ("recovery_settlements"."amount" > 0)
);
--> statement-breakpoint
CREATE INDEX "recovery_settlements_recovery_idx" ON "recovery_settlements" USING btree ("recovery_id");
--> statement-breakpoint
CREATE INDEX "recovery_settlements_line_idx" ON "recovery_settlements" USING btree ("payment_line_id") WHERE "recovery_settlements"."payment_line_id" is not null;
--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "reversed_at" timestamp with time zone;
--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "reversal_reason_code" text;
--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "reversal_reason" text;
--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "reversed_by" text;
--> statement-breakpoint
ALTER TABLE "payment_lines" ADD COLUMN "claims_total" bigint;
--> statement-breakpoint
ALTER TABLE "payment_lines" ADD COLUMN "deducted" bigint DEFAULT 0 NOT NULL;
--> statement-breakpoint
UPDATE "payment_lines" SET "claims_total" = "amount";
--> statement-breakpoint
ALTER TABLE "payment_lines" ALTER COLUMN "claims_total" SET NOT NULL;
