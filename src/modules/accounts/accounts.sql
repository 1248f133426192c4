-- The citizen's account view in SQL (src/modules/accounts/accounts.repo.ts).
--
-- A repeatable file (see src/db/migrate.ts): every statement is CREATE OR
-- REPLACE, applied after the versioned migrations in drizzle/ when a
-- repeatable file has changed or a versioned migration has run. A change of
-- a function's arguments or result type needs a DROP FUNCTION IF EXISTS
-- first, here.

-- A citizen's balance read in one call whose plans are cached per
-- connection: planning the same query text afresh on every read cost more
-- PostgreSQL CPU than running it (measured: 0.85 ms of server CPU per read,
-- of which execution was 0.15 ms). NULL when there is no such learner.
-- Amounts are strings: a JSON number loses precision past 2^53.
CREATE OR REPLACE FUNCTION learner_account(p_learner uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_grants jsonb;
BEGIN
  PERFORM 1 FROM learners WHERE id = p_learner;
  IF NOT FOUND THEN RETURN NULL; END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', g.id, 'schemeId', g.scheme_id, 'schemeName', s.name, 'currency', g.currency, 'amount', g.amount::text,
           'grantedAt', g.granted_at, 'expiresAt', g.expires_at, 'status', g.status,
           'firstUseDeadline', g.first_use_deadline, 'firstUsedAt', g.first_used_at,
           'available', ledger_available(g.credits_posted, g.debits_posted, g.debits_pending)::text,
           'reserved', g.debits_pending::text, 'debitsPosted', g.debits_posted::text, 'returned', coalesce(ret.total, 0)::text)
           ORDER BY grant_spending_order(g.expires_at, g.granted_at, g.id)), '[]')
    INTO v_grants
    FROM learner_grant_balances(p_learner) g
    JOIN schemes s ON s.id = g.scheme_id
    LEFT JOIN LATERAL (
      SELECT sum(t.amount) AS total FROM ledger_debits_of(g.id) t
       WHERE t.code IN ('grant_expiry', 'grant_revocation', 'pathway_bonus_revocation')
    ) ret ON true;
  RETURN v_grants;
END $$;
