-- Stackable pathways (issue 13, item 3): a set of courses under a scheme, a rule ("all of" or "k of n", an optional
-- window in months), and what completing it gives (a scheme-signed Open Badges 3.0 credential, and optionally a bonus
-- grant). A completion is recorded once per learner and pathway (the unique key), in the transaction that approved the
-- claim that completed it.
CREATE TABLE "pathways" (
	"id" uuid PRIMARY KEY NOT NULL,
	"scheme_id" uuid NOT NULL REFERENCES "schemes"("id"),
	"code" text NOT NULL,
	"name" text NOT NULL,
	"description" text NOT NULL,
	"course_ids" uuid[] NOT NULL,
	"rule_kind" text NOT NULL,
	"required" integer NOT NULL,
	"within_months" integer,
	"bonus_amount" bigint,
	"bonus_expires_in_days" integer,
	"achievement_name" text NOT NULL,
	"achievement_description" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	"retired_at" timestamp with time zone,
	"retired_reason" text,
	CONSTRAINT "pathways_rule_kind" CHECK ("rule_kind" IN ('all', 'k_of_n')),
	CONSTRAINT "pathways_required" CHECK ("required" >= 1 AND "required" <= cardinality("course_ids")),
	CONSTRAINT "pathways_within_months" CHECK ("within_months" IS NULL OR "within_months" BETWEEN 1 AND 120),
	CONSTRAINT "pathways_bonus" CHECK (("bonus_amount" IS NULL) = ("bonus_expires_in_days" IS NULL) AND ("bonus_amount" IS NULL OR "bonus_amount" > 0)),
	CONSTRAINT "pathways_status" CHECK ("status" IN ('active', 'retired'))
);--> statement-breakpoint
CREATE UNIQUE INDEX "pathways_scheme_code_uq" ON "pathways" USING btree ("scheme_id", "code");--> statement-breakpoint
CREATE INDEX "pathways_course_ids_idx" ON "pathways" USING gin ("course_ids");--> statement-breakpoint
CREATE TABLE "pathway_completions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"pathway_id" uuid NOT NULL REFERENCES "pathways"("id"),
	"learner_id" uuid NOT NULL REFERENCES "learners"("id"),
	"scheme_id" uuid NOT NULL,
	"completed_at" timestamp with time zone NOT NULL,
	"counted" jsonb NOT NULL,
	"credential_id" text NOT NULL,
	"credential_jwt" text NOT NULL,
	"status_index" integer NOT NULL,
	"revoked_at" timestamp with time zone,
	"revocation_reason" text,
	"bonus_status" text NOT NULL,
	"bonus_grant_id" uuid,
	"bonus_refusal_reason" text,
	CONSTRAINT "pathway_completions_bonus_status" CHECK ("bonus_status" IN ('none', 'granted', 'refused'))
);--> statement-breakpoint
CREATE UNIQUE INDEX "pathway_completions_once_uq" ON "pathway_completions" USING btree ("learner_id", "pathway_id");--> statement-breakpoint
CREATE UNIQUE INDEX "pathway_completions_credential_uq" ON "pathway_completions" USING btree ("credential_id");--> statement-breakpoint
CREATE UNIQUE INDEX "pathway_completions_status_index_uq" ON "pathway_completions" USING btree ("scheme_id", "status_index");--> statement-breakpoint
CREATE INDEX "pathway_completions_revoked_idx" ON "pathway_completions" USING btree ("scheme_id") WHERE "revoked_at" IS NOT NULL;--> statement-breakpoint
-- One signing key per scheme, made on first use; the private JWK is sealed (AES-256-GCM) under SCHEME_KEY_SECRET.
CREATE TABLE "scheme_signing_keys" (
	"scheme_id" uuid PRIMARY KEY NOT NULL REFERENCES "schemes"("id"),
	"kid" text NOT NULL,
	"alg" text NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"sealed_private_jwk" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "scheme_signing_keys_alg" CHECK ("alg" = 'EdDSA')
);--> statement-breakpoint
-- One W3C Bitstring Status List per scheme: its length and the next index to hand out (allocated by one conditional update).
CREATE TABLE "scheme_status_lists" (
	"scheme_id" uuid PRIMARY KEY NOT NULL REFERENCES "schemes"("id"),
	"length" integer NOT NULL,
	"next_index" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "scheme_status_lists_length" CHECK ("length" >= 131072),
	CONSTRAINT "scheme_status_lists_next_index" CHECK ("next_index" >= 0 AND "next_index" <= "length")
);
