-- The grants' SQL: one learner's grants with their ledger counters, read by
-- eligibility_facts (eligibility.sql), learner_account (accounts.sql) and
-- the ledger invariants (src/ledger/invariants.ts); and the order grants are
-- spent in.
--
-- A repeatable file (see src/db/migrate.ts): every statement is CREATE OR
-- REPLACE, applied after the versioned migrations in drizzle/ when a
-- repeatable file has changed or a versioned migration has run. A change of
-- a function's arguments or result type needs a DROP FUNCTION IF EXISTS
-- first, here.

-- The learner's few grant rows are picked first (OFFSET 0 keeps the planner
-- from reordering) and only their accounts are read: joining the
-- ledger's balances view instead let the planner, with stale statistics,
-- evaluate it for every account in the country (measured: about 1 s per
-- call at 1,000,000 learners; drizzle/0010).
--
-- A grant account is always limited (its debits must not exceed its
-- credits), so the ledger changes it in place and never appends deltas for
-- it: its counters are its account row's (ledger_account), and probing the
-- deltas for each grant on every eligibility decision and balance read was
-- work for nothing (drizzle/0013). ledgerViolations() checks that no limited
-- account has a delta.
CREATE OR REPLACE FUNCTION learner_grant_balances(p_learner uuid)
RETURNS TABLE (
  id uuid, scheme_id uuid, currency char(3), amount bigint, status text, granted_at timestamptz, expires_at timestamptz,
  first_use_deadline timestamptz, first_used_at timestamptz, credits_posted bigint, debits_posted bigint, debits_pending bigint
) LANGUAGE sql STABLE AS $$
  SELECT gr.id, gr.scheme_id, gr.currency, gr.amount, gr.status, gr.granted_at, gr.expires_at, gr.first_use_deadline, gr.first_used_at,
         a.credits_posted, a.debits_posted, a.debits_pending
    FROM (SELECT * FROM grants g WHERE g.learner_id = p_learner OFFSET 0) gr
    CROSS JOIN LATERAL ledger_account(gr.id) a
$$;

-- First-expiry-first: the order in which a learner's grants are spent, as a
-- sort key (ORDER BY grant_spending_order(...)): expiry ascending, no expiry
-- last, then granted_at, then id. The same rule as firstExpiryFirst in
-- src/modules/eligibility/evaluate-eligibility.ts; the one place SQL states it.
CREATE OR REPLACE FUNCTION grant_spending_order(p_expires_at timestamptz, p_granted_at timestamptz, p_id uuid)
RETURNS record LANGUAGE sql IMMUTABLE AS $$
  SELECT (p_expires_at IS NULL, p_expires_at, p_granted_at, p_id)
$$;
