-- The transactional outbox's SQL (src/modules/events/outbox.ts). A
-- repeatable file (see src/db/migrate.ts): CREATE OR REPLACE only.

-- Records one event in the caller's transaction. With a dedupe key (an event
-- found by a scan, such as a deadline drawing near) an event already
-- recorded under that key is not recorded again; the result says whether
-- this call recorded it.
CREATE OR REPLACE FUNCTION outbox_append(
  p_type text, p_occurred_at timestamptz, p_subject_type text, p_subject_id uuid, p_learner_id uuid,
  p_provider_id uuid, p_scheme_id uuid, p_data jsonb, p_dedupe_key text DEFAULT NULL
) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO outbox_events (id, type, occurred_at, subject_type, subject_id, learner_id, provider_id, scheme_id, data, dedupe_key)
  VALUES (gen_random_uuid(), p_type, p_occurred_at, p_subject_type, p_subject_id, p_learner_id, p_provider_id, p_scheme_id,
          coalesce(p_data, '{}'::jsonb), p_dedupe_key)
  ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING;
  RETURN FOUND;
END $$;
