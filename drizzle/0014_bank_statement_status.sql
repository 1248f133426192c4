-- The bank's word is what counts: entry status, reversal, account and balances of a statement (issue 11 item 1).
ALTER TABLE "bank_statements" ADD COLUMN "returned" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE "bank_statements" ADD COLUMN "refunded" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE "bank_statements" ADD COLUMN "pending" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE "bank_statements" ADD COLUMN "info" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE "bank_statements" ADD COLUMN "outcome" text DEFAULT 'reconciled' NOT NULL;
--> statement-breakpoint
ALTER TABLE "bank_statements" ADD COLUMN "account" text;
--> statement-breakpoint
ALTER TABLE "bank_statements" ADD COLUMN "currency" char(3);
--> statement-breakpoint
ALTER TABLE "bank_statements" ADD COLUMN "opening_balance" bigint;
--> statement-breakpoint
ALTER TABLE "bank_statements" ADD COLUMN "closing_balance" bigint;
--> statement-breakpoint
ALTER TABLE "statement_lines" ADD COLUMN "entry_status" text DEFAULT 'BOOK' NOT NULL;
--> statement-breakpoint
ALTER TABLE "statement_lines" ALTER COLUMN "booking_date" DROP NOT NULL;
--> statement-breakpoint
ALTER TABLE "reconciliation_exceptions" ADD COLUMN "statement_id" uuid;
--> statement-breakpoint
ALTER TABLE "reconciliation_exceptions" ADD CONSTRAINT "reconciliation_exceptions_statement_id_bank_statements_id_fk" FOREIGN KEY ("statement_id") REFERENCES "public"."bank_statements"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "reconciliation_exceptions_balance_uq" ON "reconciliation_exceptions" USING btree ("statement_id") WHERE "reconciliation_exceptions"."kind" = 'balance_mismatch';
