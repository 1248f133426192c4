-- Provider webhooks (Standard Webhooks): a provider's endpoints and the event
-- types each subscribes to; their signing secrets, sealed at rest, several at
-- once while a rotated one keeps signing through its grace period; one
-- delivery per event and endpoint, whose id is the webhook-id every attempt
-- carries; and every attempt made, with its outcome. No response bodies
-- beyond a short excerpt, no secrets in the clear.
CREATE TABLE "webhook_endpoints" (
	"id" uuid PRIMARY KEY NOT NULL,
	"provider_id" uuid NOT NULL REFERENCES "providers"("id"),
	"url" text NOT NULL,
	"event_types" text[] NOT NULL,
	"description" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "webhook_endpoints_event_types" CHECK (cardinality("webhook_endpoints"."event_types") > 0)
);--> statement-breakpoint
CREATE INDEX "webhook_endpoints_provider_idx" ON "webhook_endpoints" USING btree ("provider_id", "created_at", "id") WHERE "webhook_endpoints"."deleted_at" is null;--> statement-breakpoint
CREATE TABLE "webhook_endpoint_secrets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"endpoint_id" uuid NOT NULL REFERENCES "webhook_endpoints"("id"),
	"sealed_secret" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone
);--> statement-breakpoint
CREATE INDEX "webhook_endpoint_secrets_endpoint_idx" ON "webhook_endpoint_secrets" USING btree ("endpoint_id", "created_at");--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"endpoint_id" uuid NOT NULL REFERENCES "webhook_endpoints"("id"),
	"provider_id" uuid NOT NULL REFERENCES "providers"("id"),
	"event_id" uuid NOT NULL REFERENCES "outbox_events"("id"),
	"event_type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"first_attempt_at" timestamp with time zone,
	"last_attempt_at" timestamp with time zone,
	"next_attempt_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "webhook_deliveries_id" CHECK ("webhook_deliveries"."id" ~ '^msg_[0-9a-f]{32}$'),
	CONSTRAINT "webhook_deliveries_status" CHECK ("webhook_deliveries"."status" in ('pending', 'retrying', 'delivered', 'dead_lettered'))
);--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_event_endpoint_uq" ON "webhook_deliveries" USING btree ("event_id", "endpoint_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_provider_idx" ON "webhook_deliveries" USING btree ("provider_id", "created_at", "id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_endpoint_idx" ON "webhook_deliveries" USING btree ("endpoint_id", "created_at", "id");--> statement-breakpoint
CREATE TABLE "webhook_delivery_attempts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"delivery_id" text NOT NULL REFERENCES "webhook_deliveries"("id"),
	"attempt" integer NOT NULL,
	"trigger" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"duration_ms" integer NOT NULL,
	"outcome" text NOT NULL,
	"status_code" integer,
	"error_class" text,
	"response_excerpt" text,
	CONSTRAINT "webhook_delivery_attempts_trigger" CHECK ("webhook_delivery_attempts"."trigger" in ('schedule', 'replay')),
	CONSTRAINT "webhook_delivery_attempts_outcome" CHECK ("webhook_delivery_attempts"."outcome" in ('delivered', 'failed')),
	CONSTRAINT "webhook_delivery_attempts_excerpt" CHECK (char_length("webhook_delivery_attempts"."response_excerpt") <= 256)
);--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_delivery_attempts_delivery_uq" ON "webhook_delivery_attempts" USING btree ("delivery_id", "attempt");
