-- The equity report of each closed period, as first published
-- (src/modules/equity/published-equity-report.ts): the figures of every
-- scheme for one period and dimension, small cells already withheld. Later
-- reads answer from here, so an erasure or a correction never moves a
-- statistic once published; no raw cell under the minimum is stored.
CREATE TABLE "equity_report_snapshots" (
	"period" text NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"dimension" text NOT NULL,
	"schemes" jsonb NOT NULL,
	"taken_at" timestamp with time zone NOT NULL,
	CONSTRAINT "equity_report_snapshots_period_period_end_dimension_pk" PRIMARY KEY("period","period_end","dimension"),
	CONSTRAINT "equity_report_snapshots_period" CHECK ("equity_report_snapshots"."period" in ('month', 'quarter')),
	CONSTRAINT "equity_report_snapshots_dimension" CHECK ("equity_report_snapshots"."dimension" in ('incomeGroup', 'region', 'urbanRural', 'ageBand', 'gender', 'disability')),
	CONSTRAINT "equity_report_snapshots_taken_after_close" CHECK ("equity_report_snapshots"."taken_at" >= "equity_report_snapshots"."period_end")
);
