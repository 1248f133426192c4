-- One folder at a time. Two concurrent folds each skip the other's locked
-- rows, so one could fold a release without the reservation it releases and
-- drive a counter below zero (the CHECK then refuses the whole fold). With
-- this lock a fold always applies a prefix of each account's deltas in order;
-- a second caller returns 0 at once instead of waiting.
CREATE OR REPLACE FUNCTION ledger_fold_deltas(p_limit integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('ledger_fold_deltas')) THEN
    RETURN 0;
  END IF;
  WITH picked AS (
    SELECT id FROM ledger_account_deltas ORDER BY id LIMIT p_limit
  ), moved AS (
    DELETE FROM ledger_account_deltas d USING picked WHERE d.id = picked.id
    RETURNING d.account_id, d.debits_pending, d.debits_posted, d.credits_pending, d.credits_posted
  ), sums AS (
    SELECT account_id, sum(debits_pending) AS dpend, sum(debits_posted) AS dpost,
           sum(credits_pending) AS cpend, sum(credits_posted) AS cpost, count(*) AS c
      FROM moved GROUP BY account_id
  ), folded AS (
    UPDATE ledger_accounts a
       SET debits_pending = a.debits_pending + s.dpend, debits_posted = a.debits_posted + s.dpost,
           credits_pending = a.credits_pending + s.cpend, credits_posted = a.credits_posted + s.cpost
      FROM sums s WHERE a.id = s.account_id
    RETURNING s.c
  )
  SELECT coalesce(sum(c), 0)::integer INTO n FROM folded;
  RETURN n;
END $$;
