-- Milestone claims (README "Milestone claims"): a modular course pays per module.
-- A course lists its modules in order, each with its title, the achievement id
-- the provider signs for it and its share of the price in basis points; an
-- empty list is a course paid in one claim, as before.
ALTER TABLE "courses" ADD COLUMN "modules" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
-- A reservation leg now belongs to a module as well as a grant: 0 is the whole
-- course (every enrolment before this and every plain course), 1..n a module.
ALTER TABLE "enrolment_reservations" ADD COLUMN "module_ordinal" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "enrolment_reservations" DROP CONSTRAINT "enrolment_reservations_enrolment_id_grant_id_pk";--> statement-breakpoint
ALTER TABLE "enrolment_reservations" ADD CONSTRAINT "enrolment_reservations_enrolment_id_module_ordinal_grant_id_pk" PRIMARY KEY ("enrolment_id", "module_ordinal", "grant_id");--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "module_ordinal" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
DROP INDEX "claims_one_live_per_enrolment_uq";--> statement-breakpoint
CREATE UNIQUE INDEX "claims_one_live_per_module_uq" ON "claims" USING btree ("enrolment_id", "module_ordinal") WHERE "claims"."status" <> 'rejected';
