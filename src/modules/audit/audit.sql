-- The audit trail's SQL: hash chains over audit_events, written by
-- audit_append and checked by audit_verify (src/modules/audit/audit.repo.ts).
--
-- A repeatable file (see src/db/migrate.ts): every statement is CREATE OR
-- REPLACE, applied after the versioned migrations in drizzle/ when a
-- repeatable file has changed or a versioned migration has run. A change of
-- a function's arguments or result type needs a DROP FUNCTION IF EXISTS
-- first, here.
--
-- The 256 chain heads are seeded by drizzle/0001, which on a fresh database
-- runs before this file and so writes the genesis hash out itself (a frozen
-- copy of audit_genesis); audit_verify reports a head that does not match.

-- The hash a chain starts from.
CREATE OR REPLACE FUNCTION audit_genesis(p_chain integer) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT sha256(convert_to('learning-credits audit chain ' || p_chain::text, 'UTF8'))
$$;

-- One event's hash, chained to the previous one's.
CREATE OR REPLACE FUNCTION audit_digest(
  p_prev bytea, p_chain integer, p_seq bigint, p_occurred_at timestamptz, p_actor_id text, p_actor_role text,
  p_action text, p_entity_type text, p_entity_id text, p_request_id text, p_details jsonb
) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT sha256(p_prev || convert_to(jsonb_build_array(
    p_chain, p_seq, extract(epoch FROM p_occurred_at)::numeric(20, 6)::text, p_actor_id, p_actor_role,
    p_action, p_entity_type, p_entity_id, p_request_id, p_details)::text, 'UTF8'))
$$;

-- Appends one event to the chain its key hashes to (one of 256, so that
-- concurrent writers rarely queue on one head).
CREATE OR REPLACE FUNCTION audit_append(
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

-- Every break in every chain: an altered row, a gap, or a head that does not
-- match the last event (rows removed from the end).
CREATE OR REPLACE FUNCTION audit_verify() RETURNS TABLE (chain integer, seq bigint, problem text) LANGUAGE sql STABLE AS $$
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
