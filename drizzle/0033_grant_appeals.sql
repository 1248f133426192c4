-- Appeals against a lapsed or expired grant (issue 17). A learner files one
-- within the scheme's appeal window; an officer proposes to reinstate it
-- (four eyes: a second officer approves, and only then does a new grant come
-- from the scheme's budget) or rejects it. At most one appeal per grant is
-- open or proposed at a time. The statement is the learner's own words:
-- personal data, kept here and never in the audit chain. Keyed by the
-- learner, like everything else of a learner.
CREATE TABLE "grant_appeals" (
	"id" uuid PRIMARY KEY NOT NULL,
	"learner_id" uuid NOT NULL REFERENCES "learners"("id"),
	"grant_id" uuid NOT NULL REFERENCES "grants"("id"),
	"scheme_id" uuid NOT NULL,
	"currency" char(3) NOT NULL,
	"closing" text NOT NULL,
	"closed_at" timestamp with time zone NOT NULL,
	"lapsed_amount" bigint NOT NULL,
	"statement" text NOT NULL,
	"status" text NOT NULL,
	"filed_at" timestamp with time zone NOT NULL,
	"filed_by" text NOT NULL,
	"approval_id" uuid,
	"proposed_amount" bigint,
	"reason_code" text,
	"decision_note" text,
	"decided_at" timestamp with time zone,
	"decided_by" text,
	"reinstated_grant_id" uuid,
	CONSTRAINT "grant_appeals_closing" CHECK ("grant_appeals"."closing" in ('expired', 'lapsed')),
	CONSTRAINT "grant_appeals_status" CHECK ("grant_appeals"."status" in ('open', 'proposed', 'reinstated', 'rejected')),
	CONSTRAINT "grant_appeals_statement_length" CHECK (char_length("grant_appeals"."statement") between 1 and 2000),
	CONSTRAINT "grant_appeals_lapsed_positive" CHECK ("grant_appeals"."lapsed_amount" > 0),
	CONSTRAINT "grant_appeals_proposed_amount" CHECK ("grant_appeals"."proposed_amount" is null or ("grant_appeals"."proposed_amount" > 0 and "grant_appeals"."proposed_amount" <= "grant_appeals"."lapsed_amount")),
	CONSTRAINT "grant_appeals_proposed" CHECK (("grant_appeals"."status" = 'proposed') = ("grant_appeals"."approval_id" is not null and "grant_appeals"."decided_at" is null)),
	CONSTRAINT "grant_appeals_reinstated" CHECK (("grant_appeals"."status" = 'reinstated') = ("grant_appeals"."reinstated_grant_id" is not null))
);--> statement-breakpoint
CREATE UNIQUE INDEX "grant_appeals_one_open_uq" ON "grant_appeals" USING btree ("grant_id") WHERE "grant_appeals"."status" in ('open', 'proposed');--> statement-breakpoint
CREATE UNIQUE INDEX "grant_appeals_reinstated_grant_uq" ON "grant_appeals" USING btree ("reinstated_grant_id") WHERE "grant_appeals"."reinstated_grant_id" is not null;--> statement-breakpoint
CREATE INDEX "grant_appeals_learner_idx" ON "grant_appeals" USING btree ("learner_id", "filed_at");--> statement-breakpoint
CREATE INDEX "grant_appeals_status_idx" ON "grant_appeals" USING btree ("status", "filed_at");
