-- Assisted digital: what a service-counter officer did for a learner who was
-- present. A look-up (by national id, with a reason: the staff read of
-- personal data) opens a visit, within which the officer reads the learner's
-- credit, history and enrolments; each consent or decline of that visit is a
-- row too. Every row carries the officer's attestation that the learner is
-- present and agreed and how their identity was checked. Keyed by the
-- learner, like everything else of a learner.
CREATE TABLE "counter_acts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"learner_id" uuid NOT NULL REFERENCES "learners"("id"),
	"visit_id" uuid NOT NULL,
	"officer_subject" text NOT NULL,
	"action" text NOT NULL,
	"enrolment_id" uuid REFERENCES "enrolments"("id"),
	"reason" text,
	"learner_present" boolean NOT NULL,
	"identity_check" text NOT NULL,
	"request_id" text,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "counter_acts_action" CHECK ("counter_acts"."action" in ('lookup', 'consent', 'decline')),
	CONSTRAINT "counter_acts_present" CHECK ("counter_acts"."learner_present"),
	CONSTRAINT "counter_acts_identity_check" CHECK ("counter_acts"."identity_check" in ('nric_card', 'ktp_card', 'passport', 'driving_licence', 'work_pass')),
	CONSTRAINT "counter_acts_lookup_reason" CHECK (("counter_acts"."action" = 'lookup') = ("counter_acts"."reason" is not null) AND ("counter_acts"."action" <> 'lookup' OR "counter_acts"."visit_id" = "counter_acts"."id")),
	CONSTRAINT "counter_acts_enrolment" CHECK (("counter_acts"."action" in ('consent', 'decline')) = ("counter_acts"."enrolment_id" is not null))
);--> statement-breakpoint
CREATE INDEX "counter_acts_learner_idx" ON "counter_acts" USING btree ("learner_id", "at");--> statement-breakpoint
CREATE INDEX "counter_acts_visit_idx" ON "counter_acts" USING btree ("visit_id");--> statement-breakpoint
CREATE INDEX "counter_acts_enrolment_idx" ON "counter_acts" USING btree ("enrolment_id") WHERE "counter_acts"."enrolment_id" is not null;
