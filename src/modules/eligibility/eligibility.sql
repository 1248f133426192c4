-- Eligibility's SQL: every fact one decision reads, in one call whose plans
-- are cached per connection (src/modules/eligibility/load-eligibility-input.ts).
-- The decision itself stays in TypeScript (evaluateEligibility), a pure
-- function with property tests.
--
-- A repeatable file (see src/db/migrate.ts): every statement is CREATE OR
-- REPLACE, applied after the versioned migrations in drizzle/ when a
-- repeatable file has changed or a versioned migration has run. A change of
-- a function's arguments or result type needs a DROP FUNCTION IF EXISTS
-- first, here.

-- Every fact one eligibility decision reads, as one document. With p_lock the
-- learner's row is locked first; each later statement of a plpgsql function
-- takes a fresh snapshot, so what follows the lock sees every change
-- committed before it was granted. Amounts are strings: a JSON number loses
-- precision past 2^53.
CREATE OR REPLACE FUNCTION eligibility_facts(p_learner uuid, p_run uuid, p_at timestamptz, p_ignore_enrolment uuid, p_lock boolean)
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
                            'employmentStatus', l.employment_status, 'incomeGroup', l.income_group,
                            'equity', (SELECT jsonb_build_object('incomeGroup', ep.income_group, 'region', ep.region, 'urbanRural', ep.urban_rural,
                                                                 'gender', ep.gender, 'disability', ep.disability)
                                         FROM learner_equity_profiles ep
                                        WHERE ep.learner_id = l.id AND ep.recorded_at <= p_at
                                        ORDER BY ep.recorded_at DESC, ep.id DESC LIMIT 1))
    -- An erased learner (data-rights erasure) can no longer be funded: no one is left to consent.
    INTO v_learner FROM learners l WHERE l.id = p_learner AND l.erased_at IS NULL;
  SELECT jsonb_build_object(
           'id', r.id, 'courseId', r.course_id, 'providerId', r.provider_id, 'startsAt', r.starts_at, 'endsAt', r.ends_at,
           'fee', r.fee::text, 'currency', r.currency, 'capacity', r.capacity, 'seatsTaken', r.seats_taken, 'status', r.status,
           'category', c.category, 'providerStatus', p.status,
           'moduleSharesBps', (SELECT jsonb_agg((m->>'shareBps')::int ORDER BY n) FROM jsonb_array_elements(c.modules) WITH ORDINALITY x(m, n)),
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
           'available', ledger_available(g.credits_posted, g.debits_posted, g.debits_pending)::text,
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
       WHERE e.learner_id = p_learner AND e.course_run_id = p_run AND enrolment_is_live(e.status)
         AND e.id IS DISTINCT FROM p_ignore_enrolment));
END $$;
