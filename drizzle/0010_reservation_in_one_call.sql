-- A reservation used to cost 23 round trips, each statement parsed and
-- planned afresh. Two functions bring it to two calls, with their plans
-- cached per connection: one reads every fact an eligibility decision needs,
-- the other writes the decision's outcome. The decision itself stays in
-- TypeScript (evaluateEligibility), a pure function with property tests.

-- One learner's grants with their ledger counters. The learner's few grant
-- rows are picked first (OFFSET 0 keeps the planner from reordering) and only
-- their accounts are read: joining the ledger_balances view instead let the
-- planner, with stale statistics, evaluate it for every account in the
-- country (measured: about 1 s per call at 1,000,000 learners).
CREATE FUNCTION learner_grant_balances(p_learner uuid)
RETURNS TABLE (
  id uuid, scheme_id uuid, currency char(3), amount bigint, status text, granted_at timestamptz, expires_at timestamptz,
  first_use_deadline timestamptz, first_used_at timestamptz, credits_posted bigint, debits_posted bigint, debits_pending bigint
) LANGUAGE sql STABLE AS $$
  SELECT gr.id, gr.scheme_id, gr.currency, gr.amount, gr.status, gr.granted_at, gr.expires_at, gr.first_use_deadline, gr.first_used_at,
         (a.credits_posted + coalesce(d.cpost, 0))::bigint,
         (a.debits_posted + coalesce(d.dpost, 0))::bigint,
         (a.debits_pending + coalesce(d.dpend, 0))::bigint
    FROM (SELECT * FROM grants g WHERE g.learner_id = p_learner OFFSET 0) gr
    JOIN ledger_accounts a ON a.id = gr.id
    LEFT JOIN LATERAL (
      SELECT sum(x.debits_pending) AS dpend, sum(x.debits_posted) AS dpost, sum(x.credits_posted) AS cpost
        FROM ledger_account_deltas x WHERE x.account_id = gr.id
    ) d ON true
$$;
--> statement-breakpoint

-- Every fact one eligibility decision reads, as one document. With p_lock the
-- learner's row is locked first; each later statement of a plpgsql function
-- takes a fresh snapshot, so what follows the lock sees every change
-- committed before it was granted. Amounts are strings: a JSON number loses
-- precision past 2^53.
CREATE FUNCTION eligibility_facts(p_learner uuid, p_run uuid, p_at timestamptz, p_ignore_enrolment uuid, p_lock boolean)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_learner jsonb;
  v_run jsonb;
  v_grants jsonb;
  v_schemes jsonb;
BEGIN
  IF p_lock THEN
    PERFORM 1 FROM learners WHERE id = p_learner FOR NO KEY UPDATE;
  END IF;
  SELECT jsonb_build_object('id', l.id, 'subjectId', l.subject_id, 'dateOfBirth', l.date_of_birth::text, 'citizenship', l.citizenship,
                            'employmentStatus', l.employment_status, 'incomeGroup', l.income_group)
    INTO v_learner FROM learners l WHERE l.id = p_learner;
  SELECT jsonb_build_object(
           'id', r.id, 'courseId', r.course_id, 'providerId', r.provider_id, 'startsAt', r.starts_at, 'endsAt', r.ends_at,
           'fee', r.fee::text, 'currency', r.currency, 'capacity', r.capacity, 'seatsTaken', r.seats_taken, 'status', r.status,
           'category', c.category, 'providerStatus', p.status,
           'approvedSchemeIds', coalesce((SELECT jsonb_agg(a.scheme_id ORDER BY a.scheme_id) FROM course_approvals a WHERE a.course_id = c.id), '[]'),
           'payableAccountId', (SELECT pp.account_id FROM provider_payables pp WHERE pp.provider_id = r.provider_id AND pp.currency = r.currency))
    INTO v_run
    FROM course_runs r JOIN courses c ON c.id = r.course_id JOIN providers p ON p.id = r.provider_id
   WHERE r.id = p_run;
  IF v_learner IS NULL OR v_run IS NULL THEN
    RETURN jsonb_build_object('learner', v_learner, 'run', v_run);
  END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', g.id, 'schemeId', g.scheme_id, 'currency', g.currency, 'status', g.status,
           'available', (g.credits_posted - g.debits_posted - g.debits_pending)::text,
           'expiresAt', g.expires_at, 'firstUseDeadline', g.first_use_deadline, 'firstUsedAt', g.first_used_at, 'grantedAt', g.granted_at)
           ORDER BY g.id), '[]')
    INTO v_grants
    FROM learner_grant_balances(p_learner) g WHERE g.status = 'active';
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', s.id, 'name', s.name, 'currency', s.currency, 'status', s.status, 'rulesVersion', v.version, 'rules', v.rules)
           ORDER BY s.id), '[]')
    INTO v_schemes
    FROM schemes s
    CROSS JOIN LATERAL (
      SELECT rv.version, rv.rules FROM scheme_rule_versions rv
       WHERE rv.scheme_id = s.id AND rv.effective_from <= p_at ORDER BY rv.version DESC LIMIT 1
    ) v
   WHERE s.id IN (SELECT (x->>'schemeId')::uuid FROM jsonb_array_elements(v_grants) x);
  RETURN jsonb_build_object(
    'learner', v_learner, 'run', v_run, 'grants', v_grants, 'schemes', v_schemes,
    'alreadyEnrolled', EXISTS (
      SELECT 1 FROM enrolments e
       WHERE e.learner_id = p_learner AND e.course_run_id = p_run AND e.status IN ('requested', 'reserved', 'claimed')
         AND e.id IS DISTINCT FROM p_ignore_enrolment));
END $$;
--> statement-breakpoint

-- Writes a reservation decided by the caller, who holds the learner's lock:
-- the linked pending transfers, the enrolment (inserted, or moved from
-- requested to reserved), its legs, the grants' first use, a seat and the
-- audit event. The seat and the audit chain head are rows other learners'
-- reservations also touch, so they are taken last and held only until the
-- commit that follows. Answers 'reserved', 'run_full' or the first ledger
-- refusal; on anything but 'reserved' the caller rolls the transaction back.
CREATE FUNCTION enrolment_reserve(
  p_mode text, p_enrolment jsonb, p_legs jsonb, p_transfers jsonb, p_audit jsonb, p_now timestamptz
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_id uuid := (p_enrolment->>'id')::uuid;
  v_refusal text;
BEGIN
  IF jsonb_array_length(p_transfers) > 0 THEN
    SELECT r.result INTO v_refusal FROM ledger_create_transfers(p_transfers, p_now) r
     WHERE r.result <> 'ok' ORDER BY (r.result = 'linked_event_failed'), r.idx LIMIT 1;
    IF v_refusal IS NOT NULL THEN RETURN v_refusal; END IF;
  END IF;

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

  INSERT INTO enrolment_reservations (enrolment_id, learner_id, grant_id, scheme_id, transfer_id, amount, hold_until)
  SELECT v_id, x.learner_id, x.grant_id, x.scheme_id, x.transfer_id, x.amount, x.hold_until
    FROM jsonb_populate_recordset(NULL::enrolment_reservations, p_legs) x;
  UPDATE grants SET first_used_at = p_now
   WHERE id IN (SELECT (x->>'grant_id')::uuid FROM jsonb_array_elements(p_legs) x) AND first_used_at IS NULL;

  UPDATE course_runs SET seats_taken = seats_taken + 1
   WHERE id = (p_enrolment->>'course_run_id')::uuid AND seats_taken < capacity AND status = 'scheduled';
  IF NOT FOUND THEN RETURN 'run_full'; END IF;

  PERFORM audit_append(v_id::text, p_now, p_audit->>'actor_id', p_audit->>'actor_role', p_audit->>'action', 'enrolment', v_id::text,
                       p_audit->>'request_id', coalesce(p_audit->'details', '{}'::jsonb));
  RETURN 'reserved';
END $$;
