-- One scheme budget debits millions of grant transfers and one provider's
-- payable is credited by every reservation, so ANALYZE sees these columns as
-- having a handful of distinct values and prices "debit_account_id = <one
-- grant>" as a scan of the whole table (measured: a sequential scan of
-- 1,000,000 transfers behind each citizen's balance read). In steady state
-- every grant account appears on its own transfers: tell the planner so.
ALTER TABLE ledger_transfers ALTER COLUMN debit_account_id SET (n_distinct = -0.2);
--> statement-breakpoint
ALTER TABLE ledger_transfers ALTER COLUMN credit_account_id SET (n_distinct = -0.2);
--> statement-breakpoint
ALTER TABLE ledger_account_deltas ALTER COLUMN account_id SET (n_distinct = -0.05);
