-- Every hold on a claim tells the provider why and by when it is decided.
-- A suspension's reason, time and author are read from the provider row, not the audit trail.
ALTER TABLE "providers" ADD COLUMN "suspended_at" timestamp with time zone;
--> statement-breakpoint
ALTER TABLE "providers" ADD COLUMN "suspension_reason" text;
--> statement-breakpoint
ALTER TABLE "providers" ADD COLUMN "suspended_by" text;
--> statement-breakpoint
-- Providers suspended before this migration: the latest suspension in the audit trail.
UPDATE "providers" p
   SET "suspended_at" = a.occurred_at, "suspension_reason" = a.details->>'reason', "suspended_by" = a.actor_id
  FROM (SELECT DISTINCT ON (entity_id) entity_id, occurred_at, details, actor_id
          FROM audit_events
         WHERE entity_type = 'provider' AND action = 'provider.suspended'
         ORDER BY entity_id, occurred_at DESC, seq DESC) a
 WHERE p.status = 'suspended' AND a.entity_id = p.id::text;
--> statement-breakpoint
UPDATE "providers" SET "suspended_at" = "updated_at" WHERE "status" = 'suspended' AND "suspended_at" IS NULL;
--> statement-breakpoint
-- A hold past its decision deadline, escalated once. A hold is one claim held from one instant (held_since).
CREATE TABLE "claim_hold_escalations" (
	"claim_id" uuid NOT NULL,
	"held_since" timestamp with time zone NOT NULL,
	"reason_code" text NOT NULL,
	"decide_by" timestamp with time zone NOT NULL,
	"escalated_at" timestamp with time zone NOT NULL,
	"handled_by" text[] DEFAULT '{}'::text[] NOT NULL,
	CONSTRAINT "claim_hold_escalations_claim_id_held_since_pk" PRIMARY KEY("claim_id","held_since")
);
--> statement-breakpoint
CREATE INDEX "claims_on_hold_idx" ON "claims" USING btree ("provider_id") WHERE "claims"."status" = 'approved' and "claims"."on_hold";
--> statement-breakpoint
CREATE INDEX "claims_approved_provider_idx" ON "claims" USING btree ("provider_id") WHERE "claims"."status" = 'approved';
