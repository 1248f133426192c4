-- Ledger core, modelled on TigerBeetle's create_transfers: one call takes a
-- batch of transfers and answers one result per transfer. Transfers flagged
-- `linked` chain with the next one and commit or fail together.
--
-- Accounts with a limit flag are changed in place by a conditional UPDATE
-- (it blocks on the row and re-checks the limit after the wait). Accounts
-- with no limit are never locked: their changes are appended to
-- ledger_account_deltas and folded in later by ledger_fold_deltas.

CREATE FUNCTION ledger_apply(
  p_account uuid, p_limited boolean,
  p_dpend bigint, p_dpost bigint, p_cpend bigint, p_cpost bigint
) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF NOT p_limited THEN
    INSERT INTO ledger_account_deltas (account_id, debits_pending, debits_posted, credits_pending, credits_posted)
    VALUES (p_account, p_dpend, p_dpost, p_cpend, p_cpost);
    RETURN true;
  END IF;
  UPDATE ledger_accounts a
     SET debits_pending = a.debits_pending + p_dpend,
         debits_posted = a.debits_posted + p_dpost,
         credits_pending = a.credits_pending + p_cpend,
         credits_posted = a.credits_posted + p_cpost
   WHERE a.id = p_account
     AND (NOT a.debits_must_not_exceed_credits
          OR a.debits_pending + p_dpend + a.debits_posted + p_dpost <= a.credits_posted + p_cpost)
     AND (NOT a.credits_must_not_exceed_debits
          OR a.credits_pending + p_cpend + a.credits_posted + p_cpost <= a.debits_posted + p_dpost);
  RETURN FOUND;
END $$;
--> statement-breakpoint

CREATE FUNCTION ledger_same_transfer(e ledger_transfers, t jsonb) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
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
--> statement-breakpoint

CREATE FUNCTION ledger_create_one(t jsonb, p_now timestamptz) RETURNS text LANGUAGE plpgsql AS $$
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
    UPDATE ledger_transfers
       SET state = CASE WHEN v_kind = 'post_pending' THEN 'posted' ELSE 'voided' END
     WHERE id = v_pending_id AND state = 'pending' AND (timeout_at IS NULL OR timeout_at > p_now);
    IF NOT FOUND THEN
      SELECT state INTO v_state FROM ledger_transfers WHERE id = v_pending_id;
      RETURN CASE v_state WHEN 'posted' THEN 'pending_transfer_already_posted'
                          WHEN 'voided' THEN 'pending_transfer_already_voided'
                          ELSE 'pending_transfer_expired' END;
    END IF;
  END IF;

  -- When both accounts are limited, lock them in id order before changing
  -- either: two transfers between the same pair in opposite directions (a
  -- grant from a budget, an expiry returning to it) would otherwise deadlock.
  IF v_d_limited AND v_c_limited THEN
    PERFORM 1 FROM ledger_accounts WHERE id IN (v_debit, v_credit) ORDER BY id FOR NO KEY UPDATE;
  END IF;

  IF v_kind = 'posted' THEN
    IF NOT ledger_apply(v_debit, v_d_limited, 0, v_amount, 0, 0) THEN RETURN 'exceeds_credits'; END IF;
    IF NOT ledger_apply(v_credit, v_c_limited, 0, 0, 0, v_amount) THEN RETURN 'exceeds_debits'; END IF;
  ELSIF v_kind = 'pending' THEN
    IF NOT ledger_apply(v_debit, v_d_limited, v_amount, 0, 0, 0) THEN RETURN 'exceeds_credits'; END IF;
    IF NOT ledger_apply(v_credit, v_c_limited, 0, 0, v_amount, 0) THEN RETURN 'exceeds_debits'; END IF;
  ELSIF v_kind = 'post_pending' THEN
    IF NOT ledger_apply(v_debit, v_d_limited, -v_pending_amount, v_amount, 0, 0) THEN RETURN 'exceeds_credits'; END IF;
    IF NOT ledger_apply(v_credit, v_c_limited, 0, 0, -v_pending_amount, v_amount) THEN RETURN 'exceeds_debits'; END IF;
  ELSE
    IF NOT ledger_apply(v_debit, v_d_limited, -v_pending_amount, 0, 0, 0) THEN RETURN 'exceeds_credits'; END IF;
    IF NOT ledger_apply(v_credit, v_c_limited, 0, 0, -v_pending_amount, 0) THEN RETURN 'exceeds_debits'; END IF;
  END IF;
  RETURN 'ok';
END $$;
--> statement-breakpoint

CREATE FUNCTION ledger_create_transfers(p_transfers jsonb, p_now timestamptz)
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
--> statement-breakpoint

-- Expires pending transfers whose timeout has passed: their amounts return to
-- the accounts and an expire_pending transfer records it. Safe to run from
-- several processes at once (SKIP LOCKED).
CREATE FUNCTION ledger_expire_pending(p_now timestamptz, p_limit integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  r record;
  n integer := 0;
BEGIN
  FOR r IN
    SELECT t.*, (d.debits_must_not_exceed_credits OR d.credits_must_not_exceed_debits) AS d_limited,
                (c.debits_must_not_exceed_credits OR c.credits_must_not_exceed_debits) AS c_limited
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
    PERFORM ledger_apply(r.debit_account_id, r.d_limited, -r.amount, 0, 0, 0);
    PERFORM ledger_apply(r.credit_account_id, r.c_limited, 0, 0, -r.amount, 0);
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;
--> statement-breakpoint

-- Folds appended deltas into their accounts. Concurrent readers see either
-- the deltas or the folded row, never both, because both change in one
-- transaction.
CREATE FUNCTION ledger_fold_deltas(p_limit integer) RETURNS integer LANGUAGE sql AS $$
  WITH picked AS (
    SELECT id FROM ledger_account_deltas ORDER BY id LIMIT p_limit FOR UPDATE SKIP LOCKED
  ), moved AS (
    DELETE FROM ledger_account_deltas d USING picked WHERE d.id = picked.id
    RETURNING d.account_id, d.debits_pending, d.debits_posted, d.credits_pending, d.credits_posted
  ), sums AS (
    SELECT account_id, sum(debits_pending) AS dpend, sum(debits_posted) AS dpost,
           sum(credits_pending) AS cpend, sum(credits_posted) AS cpost, count(*) AS n
      FROM moved GROUP BY account_id
  ), folded AS (
    UPDATE ledger_accounts a
       SET debits_pending = a.debits_pending + s.dpend, debits_posted = a.debits_posted + s.dpost,
           credits_pending = a.credits_pending + s.cpend, credits_posted = a.credits_posted + s.cpost
      FROM sums s WHERE a.id = s.account_id
    RETURNING s.n
  )
  SELECT coalesce(sum(n), 0)::integer FROM folded
$$;
--> statement-breakpoint

CREATE VIEW ledger_balances AS
SELECT a.id, a.currency, a.kind, a.owner_id,
       a.debits_must_not_exceed_credits, a.credits_must_not_exceed_debits,
       a.debits_pending + coalesce(d.dpend, 0) AS debits_pending,
       a.debits_posted + coalesce(d.dpost, 0) AS debits_posted,
       a.credits_pending + coalesce(d.cpend, 0) AS credits_pending,
       a.credits_posted + coalesce(d.cpost, 0) AS credits_posted
  FROM ledger_accounts a
  LEFT JOIN LATERAL (
    SELECT sum(x.debits_pending) AS dpend, sum(x.debits_posted) AS dpost,
           sum(x.credits_pending) AS cpend, sum(x.credits_posted) AS cpost
      FROM ledger_account_deltas x WHERE x.account_id = a.id
  ) d ON true;
--> statement-breakpoint

-- Audit hash chains.
CREATE FUNCTION audit_genesis(p_chain integer) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT sha256(convert_to('learning-credits audit chain ' || p_chain::text, 'UTF8'))
$$;
--> statement-breakpoint

CREATE FUNCTION audit_digest(
  p_prev bytea, p_chain integer, p_seq bigint, p_occurred_at timestamptz, p_actor_id text, p_actor_role text,
  p_action text, p_entity_type text, p_entity_id text, p_request_id text, p_details jsonb
) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT sha256(p_prev || convert_to(jsonb_build_array(
    p_chain, p_seq, extract(epoch FROM p_occurred_at)::numeric(20, 6)::text, p_actor_id, p_actor_role,
    p_action, p_entity_type, p_entity_id, p_request_id, p_details)::text, 'UTF8'))
$$;
--> statement-breakpoint

INSERT INTO audit_chain_heads (chain, seq, hash)
SELECT c, 0, audit_genesis(c) FROM generate_series(0, 255) AS c;
--> statement-breakpoint

CREATE FUNCTION audit_append(
  p_chain_key text, p_occurred_at timestamptz, p_actor_id text, p_actor_role text, p_action text,
  p_entity_type text, p_entity_id text, p_request_id text, p_details jsonb
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_chain integer := hashtext(p_chain_key) & 255;
  v_seq bigint;
  v_hash bytea;
BEGIN
  UPDATE audit_chain_heads h
     SET seq = h.seq + 1,
         hash = audit_digest(h.hash, h.chain, h.seq + 1, p_occurred_at, p_actor_id, p_actor_role, p_action,
                             p_entity_type, p_entity_id, p_request_id, p_details)
   WHERE h.chain = v_chain
  RETURNING h.seq, h.hash INTO v_seq, v_hash;
  INSERT INTO audit_events (chain, seq, occurred_at, actor_id, actor_role, action, entity_type, entity_id,
                            request_id, details, hash)
  VALUES (v_chain, v_seq, p_occurred_at, p_actor_id, p_actor_role, p_action, p_entity_type, p_entity_id,
          p_request_id, p_details, v_hash);
END $$;
--> statement-breakpoint

-- Every break in every chain: an altered row, a gap, or a head that does not
-- match the last event (rows removed from the end).
CREATE FUNCTION audit_verify() RETURNS TABLE (chain integer, seq bigint, problem text) LANGUAGE sql STABLE AS $$
  WITH ordered AS (
    SELECT e.*, lag(e.hash) OVER w AS prev_hash, lag(e.seq) OVER w AS prev_seq
      FROM audit_events e WINDOW w AS (PARTITION BY e.chain ORDER BY e.seq)
  ), last_events AS (
    SELECT DISTINCT ON (e.chain) e.chain, e.seq, e.hash FROM audit_events e ORDER BY e.chain, e.seq DESC
  )
  SELECT o.chain, o.seq, 'hash_mismatch' FROM ordered o
   WHERE o.hash <> audit_digest(coalesce(o.prev_hash, audit_genesis(o.chain)), o.chain, o.seq, o.occurred_at,
                                o.actor_id, o.actor_role, o.action, o.entity_type, o.entity_id, o.request_id, o.details)
  UNION ALL
  SELECT o.chain, o.seq, 'sequence_gap' FROM ordered o WHERE o.seq <> coalesce(o.prev_seq, 0) + 1
  UNION ALL
  SELECT h.chain, h.seq, 'head_mismatch' FROM audit_chain_heads h LEFT JOIN last_events l ON l.chain = h.chain
   WHERE h.seq <> coalesce(l.seq, 0) OR h.hash <> coalesce(l.hash, audit_genesis(h.chain))
  ORDER BY 1, 2
$$;
