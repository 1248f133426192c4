-- The ledger's SQL: the current definition of every ledger function and of
-- the ledger_balances view. Only src/ledger/ calls them, except
-- ledger_reserve, ledger_available and the reads at the end of this file,
-- the ones a module's SQL may call (the rule is in ledger.ts).
--
-- A repeatable file (see src/db/migrate.ts): applied after the versioned
-- migrations in drizzle/, which hold the tables and indexes, when a
-- repeatable file has changed or a versioned migration has run. Every
-- statement is CREATE OR REPLACE, so the file can run on any database built
-- by those migrations, as often as wanted. Statements are
-- in dependency order: a LANGUAGE sql function's body is checked against
-- the functions it calls when it is created. A change of a function's
-- arguments, result type or OUT parameters, or of a view's columns other
-- than adding one at the end, needs a DROP ... IF EXISTS first, here.
--
-- Ledger core, modelled on TigerBeetle's create_transfers: one call takes a
-- batch of transfers and answers one result per transfer. Transfers flagged
-- `linked` chain with the next one and commit or fail together.
--
-- Accounts with a limit flag are changed in place by a conditional UPDATE
-- (it blocks on the row and re-checks the limit after the wait). Accounts
-- with no limit are never locked: their changes are appended to
-- ledger_account_deltas and folded in later by ledger_fold.
--
-- Counters never leave the int8 range (drizzle/0018, issue 12 item 3): as in
-- TigerBeetle, a transfer that would take a counter of either account past
-- it is refused: overflows_debits_pending, overflows_credits_pending,
-- overflows_debits_posted, overflows_credits_posted, overflows_debits
-- (pending + posted), overflows_credits, and overflows_timeout for a pending
-- timeout past the last timestamp PostgreSQL holds. The debit account's
-- debits and the credit account's credits are the only counters a transfer
-- changes, so each result names its account.
--
-- Every change of an account's counters goes through ledger_change, the one
-- conditional update (single transfers, expiry and the bulk paths alike).
--
-- Limited accounts are changed in place under a lock: the check is exact.
-- Unlimited accounts are never locked by an ordinary transfer, so their exact
-- counters (row plus unfolded deltas) are unknown without summing the deltas,
-- which on a hot payable would cost every reservation a scan. Instead:
--   * a transfer whose changes are each below 2^53 minor units, to an account
--     whose folded counters stay within 2^62 after it, is appended as a delta
--     with no further check (every real transfer, by a factor of millions);
--   * any other transfer takes the exact path: it waits for the folder's lock,
--     locks the account, folds the account's deltas and changes it in place,
--     refused if it does not fit. Large changes are therefore always in the
--     row, where the cheap check of the next small one sees them.
-- Unfolded small deltas can only overflow when 2^62 of them pile up between
-- two folds; the fold does not trust that either. It folds every account
-- whose deltas fit and, for an account whose deltas do not, applies them one
-- by one and sets each one that does not fit aside in
-- ledger_quarantined_deltas with its reason, instead of failing the whole
-- fold forever. Balances (ledger_balances) still count quarantined deltas, so
-- they agree with the transfers; ledgerViolations() reports them until an
-- operator resolves them (ledger_release_quarantined puts them back).

-- What an account holding money can still spend: posted credits less posted
-- and pending debits. The same rule as available() in src/ledger/types.ts;
-- the one place SQL computes it. In numeric, so that it takes both an
-- account row's counters (bigint) and ledger_balances' sums (numeric).
CREATE OR REPLACE FUNCTION ledger_available(p_credits_posted numeric, p_debits_posted numeric, p_debits_pending numeric)
RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
  SELECT p_credits_posted - p_debits_posted - p_debits_pending
$$;

-- What is wrong with an account's counters after a change, computed in
-- numeric so nothing overflows while checking; NULL when nothing is.
CREATE OR REPLACE FUNCTION ledger_counters_problem(
  p_debits_limited boolean, p_credits_limited boolean,
  p_dpend numeric, p_dpost numeric, p_cpend numeric, p_cpost numeric
) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN p_dpend > 9223372036854775807 THEN 'overflows_debits_pending'
    WHEN p_cpend > 9223372036854775807 THEN 'overflows_credits_pending'
    WHEN p_dpost > 9223372036854775807 THEN 'overflows_debits_posted'
    WHEN p_cpost > 9223372036854775807 THEN 'overflows_credits_posted'
    WHEN p_dpend + p_dpost > 9223372036854775807 THEN 'overflows_debits'
    WHEN p_cpend + p_cpost > 9223372036854775807 THEN 'overflows_credits'
    WHEN p_dpend < 0 THEN 'negative_debits_pending'
    WHEN p_dpost < 0 THEN 'negative_debits_posted'
    WHEN p_cpend < 0 THEN 'negative_credits_pending'
    WHEN p_cpost < 0 THEN 'negative_credits_posted'
    WHEN p_debits_limited AND p_dpend + p_dpost > p_cpost THEN 'exceeds_credits'
    WHEN p_credits_limited AND p_cpend + p_cpost > p_dpost THEN 'exceeds_debits'
  END
$$;

-- ledger_apply repeated ledger_change's conditional update; ledger_change is
-- now its one owner (ledger_expire_pending calls it).
DROP FUNCTION IF EXISTS ledger_apply(uuid, boolean, bigint, bigint, bigint, bigint);

-- The answer to a transfer whose id exists: 'exists' when it is the same
-- transfer, otherwise the first field that differs.
CREATE OR REPLACE FUNCTION ledger_same_transfer(e ledger_transfers, t jsonb) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF e.kind <> t->>'kind' THEN RETURN 'exists_with_different_kind'; END IF;
  IF t ? 'debit_account_id' AND t->>'debit_account_id' IS NOT NULL AND e.debit_account_id <> (t->>'debit_account_id')::uuid THEN
    RETURN 'exists_with_different_debit_account_id'; END IF;
  IF t ? 'credit_account_id' AND t->>'credit_account_id' IS NOT NULL AND e.credit_account_id <> (t->>'credit_account_id')::uuid THEN
    RETURN 'exists_with_different_credit_account_id'; END IF;
  IF t->>'amount' IS NOT NULL AND e.amount <> (t->>'amount')::bigint THEN RETURN 'exists_with_different_amount'; END IF;
  IF e.pending_id IS DISTINCT FROM (t->>'pending_id')::uuid THEN RETURN 'exists_with_different_pending_id'; END IF;
  IF e.code <> coalesce(t->>'code', '') THEN RETURN 'exists_with_different_code'; END IF;
  IF e.reference_id IS DISTINCT FROM (t->>'reference_id')::uuid THEN RETURN 'exists_with_different_reference_id'; END IF;
  RETURN 'exists';
END $$;

-- Folds one account's deltas (those up to p_upto, all when NULL) into its row
-- one by one, in order, setting aside each delta that would take a counter
-- out of range, below zero or past the account's limit. The caller holds the
-- folder's lock (see ledger_fold); the account's row is locked here.
CREATE OR REPLACE FUNCTION ledger_fold_account(p_account uuid, p_upto bigint, OUT folded integer, OUT quarantined integer)
LANGUAGE plpgsql AS $$
DECLARE
  a ledger_accounts;
  d ledger_account_deltas;
  v_dpend numeric;
  v_dpost numeric;
  v_cpend numeric;
  v_cpost numeric;
  v_problem text;
  v_done bigint[] := '{}';
BEGIN
  folded := 0;
  quarantined := 0;
  SELECT * INTO a FROM ledger_accounts WHERE id = p_account FOR NO KEY UPDATE;
  IF FOUND THEN
    v_dpend := a.debits_pending; v_dpost := a.debits_posted; v_cpend := a.credits_pending; v_cpost := a.credits_posted;
  END IF;
  FOR d IN
    SELECT * FROM ledger_account_deltas x
     WHERE x.account_id = p_account AND (p_upto IS NULL OR x.id <= p_upto) ORDER BY x.id
  LOOP
    v_done := v_done || d.id;
    IF a.id IS NULL THEN
      v_problem := 'account_not_found';
    ELSE
      v_problem := ledger_counters_problem(a.debits_must_not_exceed_credits, a.credits_must_not_exceed_debits,
                                           v_dpend + d.debits_pending, v_dpost + d.debits_posted,
                                           v_cpend + d.credits_pending, v_cpost + d.credits_posted);
    END IF;
    IF v_problem IS NULL THEN
      v_dpend := v_dpend + d.debits_pending; v_dpost := v_dpost + d.debits_posted;
      v_cpend := v_cpend + d.credits_pending; v_cpost := v_cpost + d.credits_posted;
      folded := folded + 1;
    ELSE
      INSERT INTO ledger_quarantined_deltas (id, account_id, debits_pending, debits_posted, credits_pending, credits_posted, reason)
      VALUES (d.id, d.account_id, d.debits_pending, d.debits_posted, d.credits_pending, d.credits_posted, v_problem)
      ON CONFLICT (id) DO NOTHING;
      quarantined := quarantined + 1;
    END IF;
  END LOOP;
  IF cardinality(v_done) = 0 THEN RETURN; END IF;
  DELETE FROM ledger_account_deltas WHERE id = ANY (v_done);
  IF a.id IS NOT NULL AND folded > 0 THEN
    UPDATE ledger_accounts
       SET debits_pending = v_dpend, debits_posted = v_dpost, credits_pending = v_cpend, credits_posted = v_cpost
     WHERE id = p_account;
  END IF;
END $$;

-- One side of a transfer: the debit account's debits or the credit account's
-- credits change. Answers 'ok', 'limit' when the account's limit refuses it,
-- or what else is wrong (overflows_*). See the note at the top for the two
-- paths of an unlimited account. Every check is written so that it cannot
-- overflow itself; the common case (counters and changes below 2^61, where
-- nothing can reach 2^63) keeps plain bigint conditions, and anything
-- larger is judged in numeric by ledger_counters_problem.
CREATE OR REPLACE FUNCTION ledger_change(
  p_account ledger_accounts, p_dpend bigint, p_dpost bigint, p_cpend bigint, p_cpost bigint
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_row ledger_accounts;
  v_problem text;
BEGIN
  IF NOT (p_account.debits_must_not_exceed_credits OR p_account.credits_must_not_exceed_debits) THEN
    -- Changes below 2^53, folded counters within 2^62 after them. Nested so
    -- that the second test runs only when its terms cannot overflow.
    IF greatest(p_dpend, p_dpost, p_cpend, p_cpost) < 9007199254740992 THEN
      IF p_account.debits_pending <= 4611686018427387904 - greatest(p_dpend, 0) - greatest(p_dpost, 0) - p_account.debits_posted
         AND p_account.credits_pending <= 4611686018427387904 - greatest(p_cpend, 0) - greatest(p_cpost, 0) - p_account.credits_posted
      THEN
        INSERT INTO ledger_account_deltas (account_id, debits_pending, debits_posted, credits_pending, credits_posted)
        VALUES (p_account.id, p_dpend, p_dpost, p_cpend, p_cpost);
        RETURN 'ok';
      END IF;
    END IF;
    -- The exact path: the folder's lock first, then the row (as the folder takes them).
    PERFORM pg_advisory_xact_lock(hashtext('ledger_fold_deltas'));
    PERFORM ledger_fold_account(p_account.id, NULL);
  END IF;
  UPDATE ledger_accounts a
     SET debits_pending = a.debits_pending + p_dpend,
         debits_posted = a.debits_posted + p_dpost,
         credits_pending = a.credits_pending + p_cpend,
         credits_posted = a.credits_posted + p_cpost
   WHERE a.id = p_account.id
     AND CASE WHEN greatest(abs(p_dpend), abs(p_dpost), abs(p_cpend), abs(p_cpost),
                            a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted) < 2305843009213693952
              THEN (NOT a.debits_must_not_exceed_credits
                    OR a.debits_pending + p_dpend + a.debits_posted + p_dpost <= a.credits_posted + p_cpost)
                   AND (NOT a.credits_must_not_exceed_debits
                    OR a.credits_pending + p_cpend + a.credits_posted + p_cpost <= a.debits_posted + p_dpost)
              ELSE ledger_counters_problem(a.debits_must_not_exceed_credits, a.credits_must_not_exceed_debits,
                                           a.debits_pending::numeric + p_dpend, a.debits_posted::numeric + p_dpost,
                                           a.credits_pending::numeric + p_cpend, a.credits_posted::numeric + p_cpost) IS NULL
         END;
  IF FOUND THEN RETURN 'ok'; END IF;
  SELECT * INTO v_row FROM ledger_accounts WHERE id = p_account.id;
  v_problem := ledger_counters_problem(v_row.debits_must_not_exceed_credits, v_row.credits_must_not_exceed_debits,
                                       v_row.debits_pending::numeric + p_dpend, v_row.debits_posted::numeric + p_dpost,
                                       v_row.credits_pending::numeric + p_cpend, v_row.credits_posted::numeric + p_cpost);
  RETURN CASE WHEN v_problem IS NULL OR v_problem IN ('exceeds_credits', 'exceeds_debits') THEN 'limit' ELSE v_problem END;
END $$;

-- One transfer of a batch, each side applied by ledger_change; answers 'ok',
-- 'exists' or the reason it is refused.
--
-- Posting or voiding a pending transfer used to change its state with
--   UPDATE ... WHERE id = $1 AND state = 'pending' AND timeout_at > now
-- That WHERE implies the predicate of the partial index on pending timeouts,
-- so a plan made with statistics from when few transfers were pending scans
-- that index, every pending transfer in the country, instead of the primary
-- key (found by the claims benchmark: 1.3 ms per claim at 5,000 pending
-- reservations, growing with the table; EXPLAIN showed 4,992 rows removed by
-- the filter; drizzle/0012). The row is locked by primary key alone and its
-- state checked in the function (test/ledger/plans.test.ts pins the plan).
-- A pending timeout is checked against the last timestamp PostgreSQL holds
-- (294276-12-31).
CREATE OR REPLACE FUNCTION ledger_create_one(t jsonb, p_now timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_id uuid := (t->>'id')::uuid;
  v_kind text := t->>'kind';
  v_amount bigint := (t->>'amount')::bigint;
  v_debit uuid := (t->>'debit_account_id')::uuid;
  v_credit uuid := (t->>'credit_account_id')::uuid;
  v_pending_id uuid := (t->>'pending_id')::uuid;
  v_timeout bigint := (t->>'timeout_seconds')::bigint;
  v_code text := coalesce(t->>'code', '');
  v_reference uuid := (t->>'reference_id')::uuid;
  v_currency text;
  v_existing ledger_transfers;
  v_pending ledger_transfers;
  v_pending_amount bigint := 0;
  v_d ledger_accounts;
  v_c ledger_accounts;
  v_d_limited boolean;
  v_c_limited boolean;
  v_state text;
  v_timeout_at timestamptz;
  v_r text;
BEGIN
  IF v_id IS NULL THEN RETURN 'id_must_not_be_null'; END IF;
  IF v_kind IS NULL OR v_kind NOT IN ('posted', 'pending', 'post_pending', 'void_pending') THEN RETURN 'invalid_kind'; END IF;

  SELECT * INTO v_existing FROM ledger_transfers WHERE id = v_id;
  IF FOUND THEN RETURN ledger_same_transfer(v_existing, t); END IF;

  IF v_kind IN ('post_pending', 'void_pending') THEN
    IF v_pending_id IS NULL THEN RETURN 'pending_id_required'; END IF;
    SELECT * INTO v_pending FROM ledger_transfers WHERE id = v_pending_id;
    IF NOT FOUND THEN RETURN 'pending_transfer_not_found'; END IF;
    IF v_pending.kind <> 'pending' THEN RETURN 'pending_transfer_not_pending'; END IF;
    IF v_debit IS NOT NULL AND v_debit <> v_pending.debit_account_id THEN RETURN 'pending_transfer_has_different_debit_account_id'; END IF;
    IF v_credit IS NOT NULL AND v_credit <> v_pending.credit_account_id THEN RETURN 'pending_transfer_has_different_credit_account_id'; END IF;
    v_debit := v_pending.debit_account_id;
    v_credit := v_pending.credit_account_id;
    v_pending_amount := v_pending.amount;
    IF v_amount IS NULL THEN v_amount := v_pending_amount; END IF;
    IF v_amount > v_pending_amount THEN RETURN 'exceeds_pending_transfer_amount'; END IF;
    IF v_kind = 'void_pending' AND v_amount <> v_pending_amount THEN RETURN 'pending_transfer_has_different_amount'; END IF;
    IF v_amount < 0 THEN RETURN 'amount_must_not_be_negative'; END IF;
    IF v_timeout IS NOT NULL THEN RETURN 'timeout_reserved_for_pending_transfer'; END IF;
  ELSE
    IF v_pending_id IS NOT NULL THEN RETURN 'pending_id_must_be_null'; END IF;
    IF v_debit IS NULL THEN RETURN 'debit_account_id_required'; END IF;
    IF v_credit IS NULL THEN RETURN 'credit_account_id_required'; END IF;
    IF v_amount IS NULL OR v_amount <= 0 THEN RETURN 'amount_must_be_positive'; END IF;
    IF v_kind = 'posted' AND v_timeout IS NOT NULL THEN RETURN 'timeout_reserved_for_pending_transfer'; END IF;
    IF v_kind = 'pending' AND v_timeout IS NOT NULL AND v_timeout <= 0 THEN RETURN 'timeout_must_be_positive'; END IF;
    IF v_kind = 'pending' AND v_timeout IS NOT NULL AND extract(epoch FROM p_now) + v_timeout >= 9224318016000 THEN
      RETURN 'overflows_timeout';
    END IF;
  END IF;
  IF v_debit = v_credit THEN RETURN 'accounts_must_be_different'; END IF;

  SELECT * INTO v_d FROM ledger_accounts WHERE id = v_debit;
  IF NOT FOUND THEN RETURN 'debit_account_not_found'; END IF;
  SELECT * INTO v_c FROM ledger_accounts WHERE id = v_credit;
  IF NOT FOUND THEN RETURN 'credit_account_not_found'; END IF;
  IF v_d.currency <> v_c.currency THEN RETURN 'accounts_must_have_the_same_currency'; END IF;
  v_currency := v_d.currency;
  IF t->>'currency' IS NOT NULL AND t->>'currency' <> v_currency THEN RETURN 'transfer_currency_differs_from_accounts'; END IF;
  v_d_limited := v_d.debits_must_not_exceed_credits OR v_d.credits_must_not_exceed_debits;
  v_c_limited := v_c.debits_must_not_exceed_credits OR v_c.credits_must_not_exceed_debits;

  -- The row is written first: a concurrent duplicate blocks here on the
  -- primary key until this transaction ends, then answers `exists`.
  INSERT INTO ledger_transfers (id, kind, debit_account_id, credit_account_id, amount, currency, pending_id,
                                state, timeout_at, code, reference_id, created_at)
  VALUES (v_id, v_kind, v_debit, v_credit, v_amount, v_currency, v_pending_id,
          CASE WHEN v_kind = 'pending' THEN 'pending' END,
          CASE WHEN v_kind = 'pending' AND v_timeout IS NOT NULL THEN p_now + make_interval(secs => v_timeout) END,
          v_code, v_reference, p_now)
  ON CONFLICT (id) DO NOTHING;
  IF NOT FOUND THEN
    SELECT * INTO v_existing FROM ledger_transfers WHERE id = v_id;
    RETURN ledger_same_transfer(v_existing, t);
  END IF;

  IF v_kind IN ('post_pending', 'void_pending') THEN
    -- Found by primary key alone, then checked: see the note above this function.
    SELECT state, timeout_at INTO v_state, v_timeout_at FROM ledger_transfers WHERE id = v_pending_id FOR NO KEY UPDATE;
    IF v_state <> 'pending' OR v_timeout_at <= p_now THEN
      RETURN CASE v_state WHEN 'posted' THEN 'pending_transfer_already_posted'
                          WHEN 'voided' THEN 'pending_transfer_already_voided'
                          ELSE 'pending_transfer_expired' END;
    END IF;
    UPDATE ledger_transfers SET state = CASE WHEN v_kind = 'post_pending' THEN 'posted' ELSE 'voided' END WHERE id = v_pending_id;
  END IF;

  -- When both accounts are limited, lock them in id order before changing
  -- either: two transfers between the same pair in opposite directions (a
  -- grant from a budget, an expiry returning to it) would otherwise deadlock.
  IF v_d_limited AND v_c_limited THEN
    PERFORM 1 FROM ledger_accounts WHERE id IN (v_debit, v_credit) ORDER BY id FOR NO KEY UPDATE;
  END IF;

  IF v_kind = 'posted' THEN
    v_r := ledger_change(v_d, 0, v_amount, 0, 0);
    IF v_r <> 'ok' THEN RETURN CASE v_r WHEN 'limit' THEN 'exceeds_credits' ELSE v_r END; END IF;
    v_r := ledger_change(v_c, 0, 0, 0, v_amount);
    IF v_r <> 'ok' THEN RETURN CASE v_r WHEN 'limit' THEN 'exceeds_debits' ELSE v_r END; END IF;
  ELSIF v_kind = 'pending' THEN
    v_r := ledger_change(v_d, v_amount, 0, 0, 0);
    IF v_r <> 'ok' THEN RETURN CASE v_r WHEN 'limit' THEN 'exceeds_credits' ELSE v_r END; END IF;
    v_r := ledger_change(v_c, 0, 0, v_amount, 0);
    IF v_r <> 'ok' THEN RETURN CASE v_r WHEN 'limit' THEN 'exceeds_debits' ELSE v_r END; END IF;
  ELSIF v_kind = 'post_pending' THEN
    v_r := ledger_change(v_d, -v_pending_amount, v_amount, 0, 0);
    IF v_r <> 'ok' THEN RETURN CASE v_r WHEN 'limit' THEN 'exceeds_credits' ELSE v_r END; END IF;
    v_r := ledger_change(v_c, 0, 0, -v_pending_amount, v_amount);
    IF v_r <> 'ok' THEN RETURN CASE v_r WHEN 'limit' THEN 'exceeds_debits' ELSE v_r END; END IF;
  ELSE
    v_r := ledger_change(v_d, -v_pending_amount, 0, 0, 0);
    IF v_r <> 'ok' THEN RETURN CASE v_r WHEN 'limit' THEN 'exceeds_credits' ELSE v_r END; END IF;
    v_r := ledger_change(v_c, 0, 0, -v_pending_amount, 0);
    IF v_r <> 'ok' THEN RETURN CASE v_r WHEN 'limit' THEN 'exceeds_debits' ELSE v_r END; END IF;
  END IF;
  RETURN 'ok';
END $$;

-- The ledger's one door for transfers: a batch in, one result per transfer.
CREATE OR REPLACE FUNCTION ledger_create_transfers(p_transfers jsonb, p_now timestamptz)
RETURNS TABLE (idx integer, result text) LANGUAGE plpgsql AS $$
DECLARE
  n integer := jsonb_array_length(p_transfers);
  results text[] := array_fill(NULL::text, ARRAY[greatest(n, 1)]);
  i integer := 0;
  chain_end integer;
  j integer;
  failed integer;
BEGIN
  WHILE i < n LOOP
    chain_end := i;
    WHILE chain_end < n - 1 AND coalesce((p_transfers->chain_end->>'linked')::boolean, false) LOOP
      chain_end := chain_end + 1;
    END LOOP;
    IF coalesce((p_transfers->chain_end->>'linked')::boolean, false) THEN
      FOR j IN i..chain_end LOOP results[j + 1] := 'linked_event_chain_open'; END LOOP;
    ELSE
      -- Each chain is a subtransaction: a failure rolls back only its chain.
      BEGIN
        FOR j IN i..chain_end LOOP
          failed := j;
          results[j + 1] := ledger_create_one(p_transfers->j, p_now);
          IF results[j + 1] NOT IN ('ok', 'exists') THEN
            RAISE EXCEPTION USING ERRCODE = 'LC001', MESSAGE = results[j + 1];
          END IF;
        END LOOP;
      EXCEPTION WHEN SQLSTATE 'LC001' THEN
        FOR j IN i..chain_end LOOP
          IF j <> failed THEN results[j + 1] := 'linked_event_failed'; END IF;
        END LOOP;
      END;
    END IF;
    i := chain_end + 1;
  END LOOP;
  RETURN QUERY SELECT s.k - 1, results[s.k] FROM generate_series(1, n) AS s(k);
END $$;

-- The one ledger function that SQL outside src/ledger/ calls (see the rule in
-- ledger.ts): creates a reservation's transfers, built and counted by
-- Ledger.reserve, inside the caller's own function, so that the ledger's part
-- and the caller's writes are one round trip. Answers NULL when every
-- transfer was created, otherwise the first refusal that is a cause (not a
-- linked consequence); the caller then rolls back.
CREATE OR REPLACE FUNCTION ledger_reserve(p_transfers jsonb, p_now timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_refusal text;
BEGIN
  IF jsonb_array_length(p_transfers) = 0 THEN RETURN NULL; END IF;
  SELECT r.result INTO v_refusal FROM ledger_create_transfers(p_transfers, p_now) r
   WHERE r.result <> 'ok' ORDER BY (r.result = 'linked_event_failed'), r.idx LIMIT 1;
  RETURN v_refusal;
END $$;

-- Opens many new limited accounts and funds each from one source account
-- (Ledger.fundNewAccounts): one conditional debit of the source for the
-- total, computed in numeric, then the accounts and one posted transfer per
-- account (its id is the account id, so a repeat is refused by the primary
-- key). Answers false, having written nothing, when the source is missing or
-- cannot take the total.
CREATE OR REPLACE FUNCTION ledger_fund_new_accounts(
  p_source uuid, p_currency text, p_kind text, p_code text, p_amount bigint, p_ids uuid[], p_owners uuid[], p_at timestamptz
) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  v_total numeric := p_amount::numeric * cardinality(p_ids);
  v_source ledger_accounts;
BEGIN
  IF v_total > 9223372036854775807 THEN RETURN false; END IF;
  SELECT * INTO v_source FROM ledger_accounts WHERE id = p_source AND currency = p_currency;
  IF NOT FOUND OR ledger_change(v_source, 0, v_total::bigint, 0, 0) <> 'ok' THEN RETURN false; END IF;
  INSERT INTO ledger_accounts (id, currency, kind, owner_id, debits_must_not_exceed_credits, credits_posted)
  SELECT x.id, p_currency, p_kind, x.owner_id, true, p_amount FROM unnest(p_ids, p_owners) AS x(id, owner_id);
  INSERT INTO ledger_transfers (id, kind, debit_account_id, credit_account_id, amount, currency, code, reference_id, created_at)
  SELECT x.id, 'posted', p_source, x.id, p_amount, p_currency, p_code, x.id, p_at FROM unnest(p_ids) AS x(id);
  RETURN true;
END $$;

-- Posts many pending transfers in full (Ledger.postPendingInBulk). Only for
-- transfers between unlimited accounts, whose balances move by appended
-- deltas: posting a pending transfer in full can never break a limit, and no
-- account row waits on another. Each account's counters change once, by
-- ledger_change, with the sums of its transfers. The pending rows are locked
-- by primary key alone and their state checked after (the planner trap noted
-- above ledger_create_one; test/ledger/plans.test.ts). Transfers already
-- posted, voided or expired are left alone; answers how many were posted.
CREATE OR REPLACE FUNCTION ledger_post_pending_in_bulk(p_ids uuid[], p_code text, p_now timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_due uuid[];
  r record;
  v_r text;
BEGIN
  IF EXISTS (SELECT 1 FROM ledger_transfers t JOIN ledger_accounts a ON a.id IN (t.debit_account_id, t.credit_account_id)
              WHERE t.id = ANY (p_ids) AND (a.debits_must_not_exceed_credits OR a.credits_must_not_exceed_debits)) THEN
    RAISE EXCEPTION 'postPendingInBulk only posts transfers between unlimited accounts';
  END IF;
  WITH locked AS MATERIALIZED (
    SELECT id, state, timeout_at FROM ledger_transfers WHERE id = ANY (p_ids) ORDER BY id FOR NO KEY UPDATE
  )
  SELECT array_agg(id) INTO v_due FROM locked WHERE state = 'pending' AND (timeout_at IS NULL OR timeout_at > p_now);
  IF v_due IS NULL THEN RETURN 0; END IF;
  UPDATE ledger_transfers SET state = 'posted' WHERE id = ANY (v_due);
  INSERT INTO ledger_transfers (id, kind, debit_account_id, credit_account_id, amount, currency, pending_id, code, reference_id, created_at)
  SELECT gen_random_uuid(), 'post_pending', p.debit_account_id, p.credit_account_id, p.amount, p.currency, p.id, p_code, p.reference_id, p_now
    FROM ledger_transfers p WHERE p.id = ANY (v_due);
  FOR r IN
    SELECT a AS account, s.dpend, s.dpost, s.cpend, s.cpost
      FROM (SELECT x.account_id, sum(x.dpend)::bigint AS dpend, sum(x.dpost)::bigint AS dpost,
                   sum(x.cpend)::bigint AS cpend, sum(x.cpost)::bigint AS cpost
              FROM (SELECT debit_account_id AS account_id, -amount AS dpend, amount AS dpost, 0 AS cpend, 0 AS cpost
                      FROM ledger_transfers WHERE id = ANY (v_due)
                    UNION ALL
                    SELECT credit_account_id, 0, 0, -amount, amount FROM ledger_transfers WHERE id = ANY (v_due)) x
             GROUP BY x.account_id) s
      JOIN ledger_accounts a ON a.id = s.account_id
     ORDER BY a.id
  LOOP
    v_r := ledger_change(r.account, r.dpend, r.dpost, r.cpend, r.cpost);
    IF v_r <> 'ok' THEN RAISE EXCEPTION 'postPendingInBulk: account % refused the posting: %', (r.account).id, v_r; END IF;
  END LOOP;
  RETURN cardinality(v_due);
END $$;

-- Expires pending transfers whose timeout has passed: their amounts return to
-- the accounts and an expire_pending transfer records it. Safe to run from
-- several processes at once (SKIP LOCKED).
CREATE OR REPLACE FUNCTION ledger_expire_pending(p_now timestamptz, p_limit integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  r record;
  n integer := 0;
BEGIN
  FOR r IN
    SELECT t.*, d AS debit_account, c AS credit_account
      FROM ledger_transfers t
      JOIN ledger_accounts d ON d.id = t.debit_account_id
      JOIN ledger_accounts c ON c.id = t.credit_account_id
     WHERE t.state = 'pending' AND t.timeout_at <= p_now
     ORDER BY t.timeout_at
     LIMIT p_limit
     FOR UPDATE OF t SKIP LOCKED
  LOOP
    UPDATE ledger_transfers SET state = 'expired' WHERE id = r.id;
    INSERT INTO ledger_transfers (id, kind, debit_account_id, credit_account_id, amount, currency, pending_id,
                                  state, timeout_at, code, reference_id, created_at)
    VALUES (gen_random_uuid(), 'expire_pending', r.debit_account_id, r.credit_account_id, r.amount, r.currency, r.id,
            NULL, NULL, r.code, r.reference_id, p_now);
    PERFORM ledger_change(r.debit_account, -r.amount, 0, 0, 0);
    PERFORM ledger_change(r.credit_account, 0, 0, -r.amount, 0);
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;

-- Folds appended deltas into their accounts. Concurrent readers see either
-- the deltas or the folded row, never both, because both change in one
-- transaction.
--
-- One folder at a time (drizzle/0005). Two concurrent folds each skip the
-- other's locked rows, so one could fold a release without the reservation
-- it releases and drive a counter below zero (the CHECK then refuses the
-- whole fold). With this lock a fold always applies a prefix of each
-- account's deltas in order; a second caller returns at once instead of
-- waiting.
--
-- What does not fit is isolated: accounts whose picked deltas fit are folded
-- in one statement; each other account's deltas go through
-- ledger_fold_account, which sets aside the ones that do not fit.
CREATE OR REPLACE FUNCTION ledger_fold(p_limit integer, OUT folded integer, OUT quarantined integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_upto bigint;
  v_misfits uuid[];
  v_account uuid;
  v_one record;
BEGIN
  folded := 0;
  quarantined := 0;
  IF NOT pg_try_advisory_xact_lock(hashtext('ledger_fold_deltas')) THEN
    RETURN;
  END IF;
  WITH picked AS (
    SELECT id, account_id, debits_pending, debits_posted, credits_pending, credits_posted
      FROM ledger_account_deltas ORDER BY id LIMIT p_limit
  ), sums AS (
    SELECT account_id, sum(debits_pending) AS dpend, sum(debits_posted) AS dpost,
           sum(credits_pending) AS cpend, sum(credits_posted) AS cpost, count(*) AS c, max(id) AS upto
      FROM picked GROUP BY account_id
  ), judged AS (
    SELECT s.*, a.id IS NOT NULL AND ledger_counters_problem(
             a.debits_must_not_exceed_credits, a.credits_must_not_exceed_debits,
             a.debits_pending + s.dpend, a.debits_posted + s.dpost,
             a.credits_pending + s.cpend, a.credits_posted + s.cpost) IS NULL AS fits
      FROM sums s LEFT JOIN ledger_accounts a ON a.id = s.account_id
  ), moved AS (
    DELETE FROM ledger_account_deltas d USING picked p, judged j
     WHERE d.id = p.id AND j.account_id = p.account_id AND j.fits
  ), done AS (
    UPDATE ledger_accounts a
       SET debits_pending = a.debits_pending + j.dpend, debits_posted = a.debits_posted + j.dpost,
           credits_pending = a.credits_pending + j.cpend, credits_posted = a.credits_posted + j.cpost
      FROM judged j WHERE a.id = j.account_id AND j.fits
    RETURNING j.c
  )
  SELECT (SELECT coalesce(sum(c), 0)::integer FROM done),
         (SELECT max(upto) FROM judged),
         (SELECT array_agg(account_id ORDER BY account_id) FROM judged WHERE NOT fits)
    INTO folded, v_upto, v_misfits;
  FOREACH v_account IN ARRAY coalesce(v_misfits, '{}') LOOP
    SELECT * INTO v_one FROM ledger_fold_account(v_account, v_upto);
    folded := folded + v_one.folded;
    quarantined := quarantined + v_one.quarantined;
  END LOOP;
END $$;

-- The fold's older name, answering only how many deltas were folded.
CREATE OR REPLACE FUNCTION ledger_fold_deltas(p_limit integer) RETURNS integer LANGUAGE sql AS $$
  SELECT folded FROM ledger_fold(p_limit)
$$;

-- Quarantined deltas back into the queue, for the next fold to try again once
-- an operator has made room (or found the cause). Returns how many.
CREATE OR REPLACE FUNCTION ledger_release_quarantined(p_account uuid) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  WITH released AS (
    DELETE FROM ledger_quarantined_deltas q WHERE p_account IS NULL OR q.account_id = p_account
    RETURNING q.id, q.account_id, q.debits_pending, q.debits_posted, q.credits_pending, q.credits_posted
  ), queued AS (
    INSERT INTO ledger_account_deltas (account_id, debits_pending, debits_posted, credits_pending, credits_posted)
    SELECT account_id, debits_pending, debits_posted, credits_pending, credits_posted FROM released ORDER BY id
    RETURNING 1
  )
  SELECT count(*)::integer INTO n FROM queued;
  RETURN n;
END $$;

-- Every account's counters with its unfolded and quarantined deltas: the
-- quarantined ones are part of transfers that happened, so balances keep
-- agreeing with the transfers.
CREATE OR REPLACE VIEW ledger_balances AS
SELECT a.id, a.currency, a.kind, a.owner_id,
       a.debits_must_not_exceed_credits, a.credits_must_not_exceed_debits,
       a.debits_pending + coalesce(d.dpend, 0) + coalesce(q.dpend, 0) AS debits_pending,
       a.debits_posted + coalesce(d.dpost, 0) + coalesce(q.dpost, 0) AS debits_posted,
       a.credits_pending + coalesce(d.cpend, 0) + coalesce(q.cpend, 0) AS credits_pending,
       a.credits_posted + coalesce(d.cpost, 0) + coalesce(q.cpost, 0) AS credits_posted
  FROM ledger_accounts a
  LEFT JOIN LATERAL (
    SELECT sum(x.debits_pending) AS dpend, sum(x.debits_posted) AS dpost,
           sum(x.credits_pending) AS cpend, sum(x.credits_posted) AS cpost
      FROM ledger_account_deltas x WHERE x.account_id = a.id
  ) d ON true
  LEFT JOIN LATERAL (
    SELECT sum(x.debits_pending) AS dpend, sum(x.debits_posted) AS dpost,
           sum(x.credits_pending) AS cpend, sum(x.credits_posted) AS cpost
      FROM ledger_quarantined_deltas x WHERE x.account_id = a.id
  ) q ON true;

-- The ledger's reads for module SQL: the only names of the ledger a module's
-- SQL may use besides ledger_reserve and ledger_available (the list is in
-- ledger.ts). Each is LANGUAGE sql, STABLE, not STRICT and one plain SELECT,
-- so the planner inlines it into the caller's query as if the caller had
-- named the table: plans stay those of the join it replaces. PARALLEL SAFE
-- because the planner decides on parallelism before it inlines: without it,
-- a report over every transfer would lose its parallel scan. Called in an
-- EXISTS, a function whose argument is the outer row's column keeps the
-- EXISTS from becoming a semi-join: there, filter ledger_transfers_as_of
-- (or another function of constants) on the outer column instead.

-- One account's row. Its counters are the account's balance only for a
-- limited account, which the ledger changes in place and never appends
-- deltas for; ledger_balance counts an unlimited account's deltas too.
CREATE OR REPLACE FUNCTION ledger_account(p_id uuid) RETURNS SETOF ledger_accounts LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT * FROM ledger_accounts WHERE id = p_id
$$;

-- One account's balance: its counters with its unfolded and quarantined deltas.
CREATE OR REPLACE FUNCTION ledger_balance(p_id uuid) RETURNS SETOF ledger_balances LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT * FROM ledger_balances WHERE id = p_id
$$;

-- One transfer by id.
CREATE OR REPLACE FUNCTION ledger_transfer(p_id uuid) RETURNS SETOF ledger_transfers LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT * FROM ledger_transfers WHERE id = p_id
$$;

-- Every transfer debiting one account.
CREATE OR REPLACE FUNCTION ledger_debits_of(p_account uuid) RETURNS SETOF ledger_transfers LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT * FROM ledger_transfers WHERE debit_account_id = p_account
$$;

-- Every transfer crediting one account.
CREATE OR REPLACE FUNCTION ledger_credits_of(p_account uuid) RETURNS SETOF ledger_transfers LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT * FROM ledger_transfers WHERE credit_account_id = p_account
$$;

-- The transfers that post, void or expire one pending transfer.
CREATE OR REPLACE FUNCTION ledger_closings_of(p_pending uuid) RETURNS SETOF ledger_transfers LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT * FROM ledger_transfers WHERE pending_id = p_pending
$$;

-- Every transfer written by p_as_of: the rows as-of reports are built from,
-- since a transfer never changes once written (a pending one's state aside).
CREATE OR REPLACE FUNCTION ledger_transfers_as_of(p_as_of timestamptz) RETURNS SETOF ledger_transfers LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT * FROM ledger_transfers WHERE created_at <= p_as_of
$$;
