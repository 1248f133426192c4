-- Enrolments' SQL: a reservation written in one call
-- (src/modules/enrolments/enrolments.service.ts). A reservation used to cost
-- 23 round trips, each statement parsed and planned afresh; with
-- eligibility_facts (eligibility.sql) it takes two calls.
--
-- A repeatable file (see src/db/migrate.ts): every statement is CREATE OR
-- REPLACE, applied after the versioned migrations in drizzle/ when a
-- repeatable file has changed or a versioned migration has run. A change of
-- a function's arguments or result type needs a DROP FUNCTION IF EXISTS
-- first, here.

-- An enrolment that holds its learner's place on the run: requested,
-- reserved or claimed. The same rule as liveStatuses in
-- src/db/schema/enrolments.ts; the one place SQL states it (the partial
-- indexes of drizzle/0006 keep their own copy, as a versioned migration does).
CREATE OR REPLACE FUNCTION enrolment_is_live(p_status text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT p_status IN ('requested', 'reserved', 'claimed')
$$;

-- Writes a reservation decided by the caller, who holds the learner's lock:
-- the linked pending transfers (through ledger_reserve, the ledger's entry
-- point for this, in a statement run by Ledger.reserve), the enrolment (inserted, or moved from
-- requested to reserved), its legs, the grants' first use, a seat and the
-- audit event. The seat and the audit chain head are rows other learners'
-- reservations also touch, so they are taken last and held only until the
-- commit that follows. The outbox event (enrolment.consented, built by the
-- caller as an outbox_append record) is written with them: one insert.
-- Answers 'reserved', 'run_full' or the first ledger refusal; on anything
-- but 'reserved' the caller rolls the transaction back.
DROP FUNCTION IF EXISTS enrolment_reserve(text, jsonb, jsonb, jsonb, jsonb, timestamptz);
CREATE OR REPLACE FUNCTION enrolment_reserve(
  p_mode text, p_enrolment jsonb, p_legs jsonb, p_transfers jsonb, p_audit jsonb, p_event jsonb, p_now timestamptz
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_id uuid := (p_enrolment->>'id')::uuid;
  v_refusal text;
BEGIN
  v_refusal := ledger_reserve(p_transfers, p_now);
  IF v_refusal IS NOT NULL THEN RETURN v_refusal; END IF;

  IF p_mode = 'insert' THEN
    INSERT INTO enrolments SELECT * FROM jsonb_populate_record(NULL::enrolments, p_enrolment);
  ELSE
    UPDATE enrolments e
       SET status = 'reserved', reserved_at = p_now, reservation_expires_at = x.reservation_expires_at,
           fee = x.fee, funded = x.funded, co_pay = x.co_pay, currency = x.currency, rule_versions = x.rule_versions
      FROM jsonb_populate_record(NULL::enrolments, p_enrolment) x
     WHERE e.id = v_id AND e.status = 'requested';
    IF NOT FOUND THEN RETURN 'not_requested'; END IF;
  END IF;

  INSERT INTO enrolment_reservations (enrolment_id, learner_id, grant_id, module_ordinal, scheme_id, transfer_id, amount, hold_until)
  SELECT v_id, x.learner_id, x.grant_id, x.module_ordinal, x.scheme_id, x.transfer_id, x.amount, x.hold_until
    FROM jsonb_populate_recordset(NULL::enrolment_reservations, p_legs) x;
  UPDATE grants SET first_used_at = p_now
   WHERE id IN (SELECT (x->>'grant_id')::uuid FROM jsonb_array_elements(p_legs) x) AND first_used_at IS NULL;

  UPDATE course_runs SET seats_taken = seats_taken + 1
   WHERE id = (p_enrolment->>'course_run_id')::uuid AND seats_taken < capacity AND status = 'scheduled';
  IF NOT FOUND THEN RETURN 'run_full'; END IF;

  PERFORM audit_append(v_id::text, p_now, p_audit->>'actor_id', p_audit->>'actor_role', p_audit->>'action', 'enrolment', v_id::text,
                       p_audit->>'request_id', coalesce(p_audit->'details', '{}'::jsonb));
  PERFORM outbox_append(p_event->>'type', (p_event->>'at')::timestamptz, p_event->>'subject_type', (p_event->>'subject_id')::uuid,
                        (p_event->>'learner_id')::uuid, (p_event->>'provider_id')::uuid, (p_event->>'scheme_id')::uuid, p_event->'data');
  RETURN 'reserved';
END $$;
