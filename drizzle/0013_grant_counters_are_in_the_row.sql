-- A grant account is always limited (its debits must not exceed its
-- credits), so the ledger changes it in place and never appends deltas for
-- it: its counters are the row's, and probing ledger_account_deltas for each
-- grant on every eligibility decision and balance read was work for nothing.
-- ledgerViolations() checks that no limited account has a delta.
CREATE OR REPLACE FUNCTION learner_grant_balances(p_learner uuid)
RETURNS TABLE (
  id uuid, scheme_id uuid, currency char(3), amount bigint, status text, granted_at timestamptz, expires_at timestamptz,
  first_use_deadline timestamptz, first_used_at timestamptz, credits_posted bigint, debits_posted bigint, debits_pending bigint
) LANGUAGE sql STABLE AS $$
  SELECT gr.id, gr.scheme_id, gr.currency, gr.amount, gr.status, gr.granted_at, gr.expires_at, gr.first_use_deadline, gr.first_used_at,
         a.credits_posted, a.debits_posted, a.debits_pending
    FROM (SELECT * FROM grants g WHERE g.learner_id = p_learner OFFSET 0) gr
    JOIN ledger_accounts a ON a.id = gr.id
$$;
