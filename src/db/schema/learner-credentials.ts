import { boolean, foreignKey, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { claims } from './claims.js';
import { learners } from './entitlements.js';

const ts = (name: string) => timestamp(name, { withTimezone: true });

/**
 * A credential that backed a claim the automatic checks did not reject, kept
 * as the provider signed it (the compact JWS, byte for byte) beside what it
 * says. Its status (valid, revoked, expired) is read live, never stored.
 * Keyed by learner first, like everything of one learner.
 */
export const learnerCredentials = pgTable(
  'learner_credentials',
  {
    learnerId: uuid('learner_id').notNull().references(() => learners.id),
    id: uuid('id').notNull(),
    claimId: uuid('claim_id').notNull().references(() => claims.id),
    providerId: uuid('provider_id').notNull(),
    courseId: uuid('course_id').notNull(),
    /** The credential's own `id`, which a provider's revocation names. */
    credentialId: text('credential_id').notNull(),
    jws: text('jws').notNull(),
    sha256: text('sha256').notNull(),
    issuer: text('issuer').notNull(),
    issuerName: text('issuer_name'),
    achievementId: text('achievement_id').notNull(),
    achievementName: text('achievement_name'),
    validFrom: ts('valid_from').notNull(),
    validUntil: ts('valid_until'),
    resultStatus: text('result_status').notNull(),
    grade: text('grade'),
    attendanceBps: integer('attendance_bps'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'learner_credentials_pk', columns: [t.learnerId, t.id] }),
    uniqueIndex('learner_credentials_claim_uq').on(t.learnerId, t.claimId),
    index('learner_credentials_learner_idx').on(t.learnerId, t.createdAt, t.id),
  ],
);

/** A link a learner gives an employer: only the token's SHA-256 is stored, never the token. */
export const credentialShares = pgTable(
  'credential_shares',
  {
    learnerId: uuid('learner_id').notNull(),
    id: uuid('id').notNull(),
    learnerCredentialId: uuid('learner_credential_id').notNull(),
    tokenSha256: text('token_sha256').notNull(),
    label: text('label'),
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'credential_shares_pk', columns: [t.learnerId, t.id] }),
    foreignKey({ name: 'credential_shares_credential_fk', columns: [t.learnerId, t.learnerCredentialId], foreignColumns: [learnerCredentials.learnerId, learnerCredentials.id] }),
    uniqueIndex('credential_shares_token_uq').on(t.tokenSha256),
    index('credential_shares_credential_idx').on(t.learnerId, t.learnerCredentialId, t.createdAt),
  ],
);

/** Each use of a share link and what it answered; nothing about who used it. */
export const credentialShareUses = pgTable(
  'credential_share_uses',
  {
    learnerId: uuid('learner_id').notNull(),
    id: uuid('id').notNull(),
    shareId: uuid('share_id').notNull(),
    at: ts('at').notNull(),
    verified: boolean('verified').notNull(),
    reason: text('reason'),
  },
  (t) => [
    primaryKey({ name: 'credential_share_uses_pk', columns: [t.learnerId, t.id] }),
    foreignKey({ name: 'credential_share_uses_share_fk', columns: [t.learnerId, t.shareId], foreignColumns: [credentialShares.learnerId, credentialShares.id] }),
    index('credential_share_uses_share_idx').on(t.learnerId, t.shareId, t.at),
  ],
);

