-- The learner's verified record (issue 13, item 2). Every credential that backed a claim the automatic checks did not
-- reject is kept as the provider signed it (the compact JWS, byte for byte) beside what it says; the citizen sees it
-- while its claim is approved or paid. Status (valid, revoked, expired) is never stored: it is read live from
-- credential_revocations and valid_until. Keyed by learner first, like everything of one learner.
CREATE TABLE "learner_credentials" (
	"learner_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"claim_id" uuid NOT NULL,
	"provider_id" uuid NOT NULL,
	"course_id" uuid NOT NULL,
	"credential_id" text NOT NULL,
	"jws" text NOT NULL,
	"sha256" text NOT NULL,
	"issuer" text NOT NULL,
	"issuer_name" text,
	"achievement_id" text NOT NULL,
	"achievement_name" text,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone,
	"result_status" text NOT NULL,
	"grade" text,
	"attendance_bps" integer,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "learner_credentials_pk" PRIMARY KEY ("learner_id", "id"),
	CONSTRAINT "learner_credentials_learner_fk" FOREIGN KEY ("learner_id") REFERENCES "learners"("id"),
	CONSTRAINT "learner_credentials_claim_fk" FOREIGN KEY ("claim_id") REFERENCES "claims"("id"),
	CONSTRAINT "learner_credentials_sha256_hex" CHECK ("sha256" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "learner_credentials_attendance_range" CHECK ("attendance_bps" IS NULL OR "attendance_bps" BETWEEN 0 AND 10000)
);--> statement-breakpoint
-- A claim belongs to one learner, so this is one kept credential per claim.
CREATE UNIQUE INDEX "learner_credentials_claim_uq" ON "learner_credentials" USING btree ("learner_id", "claim_id");--> statement-breakpoint
CREATE INDEX "learner_credentials_learner_idx" ON "learner_credentials" USING btree ("learner_id", "created_at", "id");--> statement-breakpoint
-- A link a learner gives an employer. The token is shown once and never stored: only its SHA-256, which the public
-- route looks the share up by.
CREATE TABLE "credential_shares" (
	"learner_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"learner_credential_id" uuid NOT NULL,
	"token_sha256" text NOT NULL,
	"label" text,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "credential_shares_pk" PRIMARY KEY ("learner_id", "id"),
	CONSTRAINT "credential_shares_credential_fk" FOREIGN KEY ("learner_id", "learner_credential_id") REFERENCES "learner_credentials"("learner_id", "id"),
	CONSTRAINT "credential_shares_token_hex" CHECK ("token_sha256" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "credential_shares_expiry_after_creation" CHECK ("expires_at" > "created_at"),
	CONSTRAINT "credential_shares_label_length" CHECK ("label" IS NULL OR char_length("label") BETWEEN 1 AND 100)
);--> statement-breakpoint
CREATE UNIQUE INDEX "credential_shares_token_uq" ON "credential_shares" USING btree ("token_sha256");--> statement-breakpoint
CREATE INDEX "credential_shares_credential_idx" ON "credential_shares" USING btree ("learner_id", "learner_credential_id", "created_at");--> statement-breakpoint
-- Each use of a share link: when, and what the employer was answered. Nothing about who used it (no address, no
-- user agent): the employer is not tracked.
CREATE TABLE "credential_share_uses" (
	"learner_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"share_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"verified" boolean NOT NULL,
	"reason" text,
	CONSTRAINT "credential_share_uses_pk" PRIMARY KEY ("learner_id", "id"),
	CONSTRAINT "credential_share_uses_share_fk" FOREIGN KEY ("learner_id", "share_id") REFERENCES "credential_shares"("learner_id", "id"),
	CONSTRAINT "credential_share_uses_reason_when_refused" CHECK ("verified" = ("reason" IS NULL))
);--> statement-breakpoint
CREATE INDEX "credential_share_uses_share_idx" ON "credential_share_uses" USING btree ("learner_id", "share_id", "at");
