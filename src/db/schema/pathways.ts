import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { learners, schemes } from './entitlements.js';

const ts = (name: string) => timestamp(name, { withTimezone: true });

/** A stack of courses under a scheme: a rule over them and what completing it gives (drizzle/0023_pathways.sql). */
export const pathways = pgTable(
  'pathways',
  {
    id: uuid('id').primaryKey(),
    schemeId: uuid('scheme_id').notNull().references(() => schemes.id),
    code: text('code').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull(),
    courseIds: uuid('course_ids').array().notNull(),
    ruleKind: text('rule_kind', { enum: ['all', 'k_of_n'] }).notNull(),
    /** How many distinct courses complete it: all of them, or k. */
    required: integer('required').notNull(),
    withinMonths: integer('within_months'),
    bonusAmount: bigint('bonus_amount', { mode: 'bigint' }),
    bonusExpiresInDays: integer('bonus_expires_in_days'),
    achievementName: text('achievement_name').notNull(),
    achievementDescription: text('achievement_description').notNull(),
    status: text('status', { enum: ['active', 'retired'] }).notNull().default('active'),
    createdAt: ts('created_at').notNull(),
    createdBy: text('created_by').notNull(),
    retiredAt: ts('retired_at'),
    retiredReason: text('retired_reason'),
  },
  (t) => [
    uniqueIndex('pathways_scheme_code_uq').on(t.schemeId, t.code),
    index('pathways_course_ids_idx').using('gin', t.courseIds),
    check('pathways_rule_kind', sql`${t.ruleKind} in ('all', 'k_of_n')`),
    check('pathways_required', sql`${t.required} >= 1 and ${t.required} <= cardinality(${t.courseIds})`),
    check('pathways_within_months', sql`${t.withinMonths} is null or ${t.withinMonths} between 1 and 120`),
    check('pathways_bonus', sql`(${t.bonusAmount} is null) = (${t.bonusExpiresInDays} is null) and (${t.bonusAmount} is null or ${t.bonusAmount} > 0)`),
    check('pathways_status', sql`${t.status} in ('active', 'retired')`),
  ],
);

/** A learner completed a pathway: once (the unique key), with the stacked credential and the bonus's outcome. */
export const pathwayCompletions = pgTable(
  'pathway_completions',
  {
    id: uuid('id').primaryKey(),
    pathwayId: uuid('pathway_id').notNull().references(() => pathways.id),
    learnerId: uuid('learner_id').notNull().references(() => learners.id),
    schemeId: uuid('scheme_id').notNull(),
    completedAt: ts('completed_at').notNull(),
    /** The course completions that satisfied the rule: [{courseId, claimId, completedAt}]. */
    counted: jsonb('counted').notNull(),
    credentialId: text('credential_id').notNull(),
    credentialJwt: text('credential_jwt').notNull(),
    /** The credential's bit in its scheme's Bitstring Status List. */
    statusIndex: integer('status_index').notNull(),
    revokedAt: ts('revoked_at'),
    revocationReason: text('revocation_reason'),
    bonusStatus: text('bonus_status', { enum: ['none', 'granted', 'refused'] }).notNull(),
    bonusGrantId: uuid('bonus_grant_id'),
    bonusRefusalReason: text('bonus_refusal_reason'),
  },
  (t) => [
    uniqueIndex('pathway_completions_once_uq').on(t.learnerId, t.pathwayId),
    uniqueIndex('pathway_completions_credential_uq').on(t.credentialId),
    uniqueIndex('pathway_completions_status_index_uq').on(t.schemeId, t.statusIndex),
    index('pathway_completions_revoked_idx').on(t.schemeId).where(sql`${t.revokedAt} is not null`),
    check('pathway_completions_bonus_status', sql`${t.bonusStatus} in ('none', 'granted', 'refused')`),
  ],
);

/** One EdDSA key per scheme, made on first use; the private JWK sealed under the configured secret. */
export const schemeSigningKeys = pgTable(
  'scheme_signing_keys',
  {
    schemeId: uuid('scheme_id').primaryKey().references(() => schemes.id),
    kid: text('kid').notNull(),
    alg: text('alg', { enum: ['EdDSA'] }).notNull(),
    publicJwk: jsonb('public_jwk').notNull(),
    sealedPrivateJwk: text('sealed_private_jwk').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [check('scheme_signing_keys_alg', sql`${t.alg} = 'EdDSA'`)],
);

/** A scheme's Bitstring Status List: its length in bits and the next index to hand out. */
export const schemeStatusLists = pgTable(
  'scheme_status_lists',
  {
    schemeId: uuid('scheme_id').primaryKey().references(() => schemes.id),
    length: integer('length').notNull(),
    nextIndex: integer('next_index').notNull().default(0),
  },
  (t) => [
    check('scheme_status_lists_length', sql`${t.length} >= 131072`),
    check('scheme_status_lists_next_index', sql`${t.nextIndex} >= 0 and ${t.nextIndex} <= ${t.length}`),
  ],
);
