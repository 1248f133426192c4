CREATE TABLE "bank_statements" (
	"id" uuid PRIMARY KEY NOT NULL,
	"format" text NOT NULL,
	"sha256" text NOT NULL,
	"statement_ref" text,
	"line_count" integer NOT NULL,
	"matched" integer NOT NULL,
	"exceptions" integer NOT NULL,
	"imported_at" timestamp with time zone NOT NULL,
	"imported_by" text NOT NULL,
	CONSTRAINT "bank_statements_sha256_unique" UNIQUE("sha256")
);
--> statement-breakpoint
CREATE TABLE "disbursement_batches" (
	"id" uuid PRIMARY KEY NOT NULL,
	"scheme_id" uuid,
	"currency" char(3) NOT NULL,
	"cut_off" timestamp with time zone NOT NULL,
	"message_id" text NOT NULL,
	"status" text NOT NULL,
	"line_count" integer NOT NULL,
	"control_sum" bigint NOT NULL,
	"requested_execution_date" date NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	CONSTRAINT "disbursement_batches_message_id_unique" UNIQUE("message_id")
);
--> statement-breakpoint
CREATE TABLE "payment_line_claims" (
	"line_id" uuid NOT NULL,
	"claim_id" uuid NOT NULL,
	"amount" bigint NOT NULL,
	"live" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "payment_line_claims_line_id_claim_id_pk" PRIMARY KEY("line_id","claim_id")
);
--> statement-breakpoint
CREATE TABLE "payment_lines" (
	"id" uuid PRIMARY KEY NOT NULL,
	"batch_id" uuid NOT NULL,
	"provider_id" uuid NOT NULL,
	"end_to_end_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"creditor_name" text NOT NULL,
	"creditor_account" jsonb NOT NULL,
	"transfer_id" uuid NOT NULL,
	"status" text NOT NULL,
	"settled_at" timestamp with time zone,
	"returned_at" timestamp with time zone,
	CONSTRAINT "payment_lines_end_to_end_id_unique" UNIQUE("end_to_end_id"),
	CONSTRAINT "payment_lines_transfer_id_unique" UNIQUE("transfer_id")
);
--> statement-breakpoint
CREATE TABLE "reconciliation_exceptions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"statement_line_id" uuid,
	"payment_line_id" uuid,
	"detail" text NOT NULL,
	"expected" bigint,
	"actual" bigint,
	"currency" char(3) NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"raised_at" timestamp with time zone NOT NULL,
	"resolved_by" text,
	"resolution" text,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "statement_lines" (
	"id" uuid PRIMARY KEY NOT NULL,
	"statement_id" uuid NOT NULL,
	"line_no" integer NOT NULL,
	"end_to_end_id" text,
	"amount" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"direction" text NOT NULL,
	"is_return" integer DEFAULT 0 NOT NULL,
	"booking_date" date NOT NULL,
	"outcome" text NOT NULL,
	"payment_line_id" uuid
);
--> statement-breakpoint
ALTER TABLE "payment_line_claims" ADD CONSTRAINT "payment_line_claims_line_id_payment_lines_id_fk" FOREIGN KEY ("line_id") REFERENCES "public"."payment_lines"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_lines" ADD CONSTRAINT "payment_lines_batch_id_disbursement_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."disbursement_batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "statement_lines" ADD CONSTRAINT "statement_lines_statement_id_bank_statements_id_fk" FOREIGN KEY ("statement_id") REFERENCES "public"."bank_statements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "payment_line_claims_live_uq" ON "payment_line_claims" USING btree ("claim_id") WHERE "payment_line_claims"."live" = 1;--> statement-breakpoint
CREATE INDEX "payment_lines_batch_idx" ON "payment_lines" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "payment_lines_pending_idx" ON "payment_lines" USING btree ("status") WHERE "payment_lines"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "reconciliation_exceptions_open_idx" ON "reconciliation_exceptions" USING btree ("status","raised_at");--> statement-breakpoint
CREATE UNIQUE INDEX "reconciliation_exceptions_not_seen_uq" ON "reconciliation_exceptions" USING btree ("payment_line_id") WHERE "reconciliation_exceptions"."kind" = 'not_seen';--> statement-breakpoint
CREATE INDEX "statement_lines_ref_idx" ON "statement_lines" USING btree ("end_to_end_id");--> statement-breakpoint
CREATE UNIQUE INDEX "statement_lines_no_uq" ON "statement_lines" USING btree ("statement_id","line_no");