-- What a course's micro-credential is (EU Council Recommendation 2022/C 243/02, annex I): workload in credits, level
-- in a qualifications framework, skills, assessment, participation, quality assurance, learning outcomes and the
-- country or region the credential is awarded in. Existing courses keep nulls and empty lists: they are plain
-- training until their provider describes them.
ALTER TABLE "courses" ADD COLUMN "credit_value" numeric(6, 2);--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "credit_system" text;--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "level_framework" text;--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "level" integer;--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "skill_alignments" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "assessment_type" text;--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "participation_form" text;--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "quality_assurance" text;--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "learning_outcomes" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "awarding_country" text;--> statement-breakpoint
ALTER TABLE "courses" ADD CONSTRAINT "courses_credits_whole" CHECK (("credit_value" IS NULL) = ("credit_system" IS NULL) AND ("credit_value" IS NULL OR "credit_value" > 0));--> statement-breakpoint
ALTER TABLE "courses" ADD CONSTRAINT "courses_level_in_framework" CHECK (("level" IS NULL) = ("level_framework" IS NULL) AND ("level" IS NULL OR ("level" BETWEEN 1 AND 8 AND "level_framework" IN ('EQF', 'MQF'))));--> statement-breakpoint
ALTER TABLE "courses" ADD CONSTRAINT "courses_participation_form" CHECK ("participation_form" IN ('online', 'onsite', 'blended'));
