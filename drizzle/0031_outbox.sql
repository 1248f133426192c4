-- The transactional outbox: every state change that others care about
-- (providers through webhooks, learners through notices) writes one row
-- here in the same transaction as the change, through outbox_append
-- (src/modules/events/outbox.sql). The relay (src/modules/events/relay.ts)
-- hands each row to its consumers and marks it dispatched in one
-- transaction, so a process killed between the change's commit and the
-- delivery loses nothing: the row is still undispatched when it restarts.
-- The data holds ids, amounts, statuses and reason codes, never personal data.
CREATE TABLE "outbox_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
	"type" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" uuid NOT NULL,
	"learner_id" uuid REFERENCES "learners"("id"),
	"provider_id" uuid,
	"scheme_id" uuid,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"dedupe_key" text,
	"dispatched_at" timestamp with time zone,
	CONSTRAINT "outbox_events_type" CHECK ("outbox_events"."type" ~ '^[a-z_]+(\.[a-z_]+)+$')
);--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_events_seq_uq" ON "outbox_events" USING btree ("seq");--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_events_dedupe_uq" ON "outbox_events" USING btree ("dedupe_key") WHERE "outbox_events"."dedupe_key" is not null;--> statement-breakpoint
CREATE INDEX "outbox_events_undispatched_idx" ON "outbox_events" USING btree ("seq") WHERE "outbox_events"."dispatched_at" is null;--> statement-breakpoint
CREATE INDEX "outbox_events_provider_idx" ON "outbox_events" USING btree ("provider_id", "seq") WHERE "outbox_events"."provider_id" is not null;--> statement-breakpoint
CREATE INDEX "outbox_events_learner_idx" ON "outbox_events" USING btree ("learner_id", "seq") WHERE "outbox_events"."learner_id" is not null;--> statement-breakpoint
-- How a learner is reached and what they want to hear: personal data, kept
-- out of learners so that erasure clears it in one place.
CREATE TABLE "learner_contacts" (
	"learner_id" uuid PRIMARY KEY NOT NULL REFERENCES "learners"("id"),
	"email" text,
	"phone" text,
	"language" text DEFAULT 'en' NOT NULL,
	"email_notices" boolean DEFAULT true NOT NULL,
	"sms_notices" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "learner_contacts_language" CHECK ("learner_contacts"."language" in ('en', 'ms', 'id', 'zh', 'ta'))
);
