-- Equity targeting (issue 13, item 5): the household income group thresholds
-- a country publishes per year, and each learner's equity profile, kept as
-- an append-only history so a report as of a date reads the profile as it
-- stood then. Household income itself is never stored: only the group a
-- learner declared and the threshold table it was assessed against.
-- Every attribute is optional (NULL = not stated) and is personal data,
-- protected like the national id: never logged, never in audit details.

CREATE TABLE income_group_thresholds (
  country char(2) NOT NULL,
  year smallint NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  code text NOT NULL CHECK (code ~ '^[A-Z][A-Z0-9]{0,7}$'),
  -- The eligibility band (learners.income_group, read by a scheme's incomeGroups rule) this group belongs to.
  band text NOT NULL CHECK (band IN ('low', 'middle', 'high')),
  currency char(3) NOT NULL,
  -- Household monthly income in minor units below which (exclusive) the group applies; NULL for the top group.
  upper_bound bigint CHECK (upper_bound > 0),
  position smallint NOT NULL CHECK (position >= 0),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (country, year, code),
  UNIQUE (country, year, position)
);--> statement-breakpoint

CREATE TABLE learner_equity_profiles (
  id uuid PRIMARY KEY,
  learner_id uuid NOT NULL REFERENCES learners (id),
  income_country char(2),
  income_year smallint,
  income_group text,
  region text CHECK (region ~ '^[A-Z]{2}-[A-Z0-9]{1,3}$'),
  urban_rural text CHECK (urban_rural IN ('urban', 'rural')),
  gender text CHECK (gender IN ('female', 'male', 'not_applicable', 'not_stated')),
  disability boolean,
  recorded_at timestamptz NOT NULL,
  CHECK ((income_group IS NULL) = (income_year IS NULL) AND (income_group IS NULL) = (income_country IS NULL)),
  FOREIGN KEY (income_country, income_year, income_group) REFERENCES income_group_thresholds (country, year, code)
);--> statement-breakpoint
CREATE INDEX learner_equity_profiles_learner_idx ON learner_equity_profiles (learner_id, recorded_at DESC, id DESC);
