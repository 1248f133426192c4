-- A reversed claim whose learner incentive had already been paid out writes
-- that incentive off: the learner keeps it (it is not clawed back), and the
-- loss is recorded with its reason for finance to report.
ALTER TABLE "incentives" DROP CONSTRAINT "incentives_status";--> statement-breakpoint
ALTER TABLE "incentives" ADD CONSTRAINT "incentives_status" CHECK ("incentives"."status" in ('accrued', 'held', 'reversed', 'written_off'));--> statement-breakpoint
ALTER TABLE "incentives" ADD COLUMN "written_off_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "incentives" ADD COLUMN "write_off_reason" text;--> statement-breakpoint
ALTER TABLE "incentives" ADD CONSTRAINT "incentives_written_off_has_reason" CHECK (("incentives"."status" = 'written_off') = ("incentives"."written_off_at" is not null and "incentives"."write_off_reason" is not null));--> statement-breakpoint
CREATE INDEX "incentives_written_off_idx" ON "incentives" USING btree ("scheme_id","written_off_at") WHERE "incentives"."status" = 'written_off';
