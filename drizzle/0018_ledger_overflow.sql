-- Balances past the int8 range (issue 12, item 3). 184 allocations of 10^17,
-- each within the amount limit, pushed the EUR treasury's debits past
-- 2^63 - 1. The treasury has no limit, so its changes were appended as
-- deltas and nothing looked at the sum; the fold then failed on "bigint out
-- of range" at every run, in front of every other account's deltas.
--
-- This migration made the ledger refuse a transfer that would take a counter
-- out of range (ledger_counters_problem, ledger_change, ledger_create_one,
-- ledger_apply), the fold set aside what does not fit (ledger_fold_account,
-- ledger_fold, ledger_fold_deltas, ledger_release_quarantined) and
-- ledger_balances count what it set aside. Their current definitions, with
-- the whole note, are in src/ledger/ledger.sql, applied after the versioned
-- migrations by src/db/migrate.ts. The table the fold sets deltas aside in
-- stays here.

CREATE TABLE "ledger_quarantined_deltas" (
	"id" bigint PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"debits_pending" bigint NOT NULL,
	"debits_posted" bigint NOT NULL,
	"credits_pending" bigint NOT NULL,
	"credits_posted" bigint NOT NULL,
	"reason" text NOT NULL,
	"quarantined_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "ledger_quarantined_deltas_account_idx" ON "ledger_quarantined_deltas" USING btree ("account_id");
