-- A reversed claim whose learner incentive had already been paid out writes
-- that incentive off: the learner keeps it (it is not clawed back), and the
-- loss is recorded with its reason for finance to report.
ALTER TABLE "incentives" DROP CONSTRAINT "incentives_status";--> statement-breakpoint
ALTER TABLE "incentives" ADD CONSTRAINT "incentives_status" CHECK ("incentives"."status" in ('accrued', 'held', 'reversed', 'written_off'));--> statement-breakpoint
ALTER TABLE "incentives" ADD COLUMN "written_off_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "incentives" ADD COLUMN "write_off_reason" text;--> statement-breakpoint
ALTER TABLE "incentives" ADD CONSTRAINT "incentives_written_off_has_reason" CHECK (("incentives"."status" = 'written_off') = ("incentives"."written_off_at" is not null and "incentives"."write_off_reason" is not null));--> statement-breakpoint
CREATE INDEX "incentives_written_off_idx" ON "incentives" USING btree ("scheme_id","written_off_at") WHERE "incentives"."status" = 'written_off';
--> statement-breakpoint
-- An income group's upper bound corrected after publication: append-only, the
-- newest correction of a group supersedes the published bound and any earlier
-- correction, each with its reason and who made it.
CREATE TABLE "income_group_threshold_corrections" (
	"id" uuid PRIMARY KEY NOT NULL,
	"country" char(2) NOT NULL,
	"year" smallint NOT NULL,
	"code" text NOT NULL,
	"upper_bound" bigint NOT NULL,
	"superseded_upper_bound" bigint NOT NULL,
	"reason" text NOT NULL,
	"corrected_at" timestamp with time zone NOT NULL,
	"corrected_by" text NOT NULL,
	CONSTRAINT "income_group_threshold_corrections_group_fk" FOREIGN KEY ("country","year","code") REFERENCES "public"."income_group_thresholds"("country","year","code"),
	CONSTRAINT "income_group_threshold_corrections_upper_bound" CHECK ("income_group_threshold_corrections"."upper_bound" > 0)
);--> statement-breakpoint
CREATE INDEX "income_group_threshold_corrections_group_idx" ON "income_group_threshold_corrections" USING btree ("country","year","code","corrected_at");
