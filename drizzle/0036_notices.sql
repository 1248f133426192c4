-- Learner notices (src/modules/notices): one row per event and channel a
-- learner has turned on. The unique (event_id, channel) is what makes a
-- notice go out once per event, under racing relays and retried jobs alike.
-- No address or phone number is kept here: the job reads it from
-- learner_contacts when it sends, so erasure clears it in one place.
-- last_error holds a cleaned error code, never the recipient.
CREATE TABLE "notices" (
	"id" uuid PRIMARY KEY NOT NULL,
	"event_id" uuid NOT NULL REFERENCES "outbox_events"("id"),
	"event_type" text NOT NULL,
	"learner_id" uuid NOT NULL REFERENCES "learners"("id"),
	"channel" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"language" text,
	"created_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone,
	"failed_at" timestamp with time zone,
	"last_error" text,
	CONSTRAINT "notices_channel" CHECK ("notices"."channel" in ('email', 'sms')),
	CONSTRAINT "notices_status" CHECK ("notices"."status" in ('queued', 'sent', 'failed'))
);--> statement-breakpoint
CREATE UNIQUE INDEX "notices_event_channel_uq" ON "notices" USING btree ("event_id", "channel");--> statement-breakpoint
CREATE INDEX "notices_learner_idx" ON "notices" USING btree ("learner_id", "created_at");
